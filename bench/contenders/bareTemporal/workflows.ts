import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { BareActivities } from './activities.js';
import {
  type BareCallback,
  type BareFlowInput,
  type BareIssued,
  type BareOutcome,
  callbackUpdate,
  issueUpdate,
} from './messages.js';

const activities = proxyActivities<BareActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * The connection flow's shape with nothing else: update-with-start answered by an authorize
 * activity, a validity-bounded wait for the callback update, an exchange activity whose result
 * answers that update. The workflow's result is the outcome (read by the credentials endpoint).
 */
export async function bareFlowWorkflow(input: BareFlowInput): Promise<BareOutcome> {
  let issued: BareIssued | undefined;
  let callback: BareCallback | undefined;
  let outcome: BareOutcome | undefined;
  setHandler(issueUpdate, async () => {
    await condition(() => issued !== undefined);
    return issued!;
  });
  setHandler(callbackUpdate, async (delivered) => {
    if (callback) throw new Error('a callback was already delivered');
    callback = delivered;
    await condition(() => outcome !== undefined);
    return outcome!;
  });

  issued = await activities.authorize(input);
  if (!(await condition(() => callback !== undefined, input.validitySeconds * 1000))) {
    outcome = { connected: false, error: 'expired' };
  } else {
    outcome = await activities.exchange({ flowId: input.flowId, callback: callback! });
  }
  await condition(allHandlersFinished);
  return outcome;
}
