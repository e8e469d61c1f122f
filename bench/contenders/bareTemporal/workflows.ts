import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import type { BareActivities } from './activities.js';
import {
  type BareCallback,
  type BareFlowInput,
  type BareIssued,
  type BareOutcome,
  type BareRefreshLoopInput,
  callbackUpdate,
  countedRefreshesQuery,
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

const local = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * connectflow's keepFresh loop with nothing else: a timer to the next refresh, a local activity that
 * does nothing, and a new run every `refreshesPerRun` refreshes. What Temporal alone costs per refresh.
 */
export async function bareRefreshLoopWorkflow(input: BareRefreshLoopInput): Promise<void> {
  let { nextAt } = input;
  let counted = 0;
  setHandler(countedRefreshesQuery, () => input.countedBefore + counted);
  for (let made = 0; made < input.refreshesPerRun; made++) {
    await sleep(Math.max(0, nextAt - Date.now()));
    const ranAt = await local.refresh();
    if (ranAt >= input.countFrom && ranAt < input.countUntil) counted++;
    nextAt += input.everyMs;
  }
  await continueAsNew<typeof bareRefreshLoopWorkflow>({
    ...input,
    nextAt,
    countedBefore: input.countedBefore + counted,
  });
}
