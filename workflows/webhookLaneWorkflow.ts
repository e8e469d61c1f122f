import {
  ActivityFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/deliverWebhooks.js';
import { webhookTaskQueue } from '../lib/temporal/names.js';
import { deliveriesPendingSignal, type WebhookLaneInput } from './webhookMessages.js';

/** A lane with nothing to send waits this long for more before it ends (the next message starts it again). */
const IDLE_BEFORE_END = '1 minute';
/** Messages per run before it continues as new (keeps the history short). */
const MESSAGES_PER_RUN = 200;

/**
 * Delivers one lane of an account's webhook messages (one connection's, or the pings) in order, one at
 * a time: the oldest pending message is attempted until the receiver accepts it or the retry window
 * ends, then the next. Messages live in MongoDB (the workflow carries only their ids); every attempt
 * of one message is an activity retry, so they share its webhook-id. Its activities run on the webhook
 * task queue: a slow or dead receiver occupies only this lane and that queue, never a connection.
 */
export async function webhookLaneWorkflow(input: WebhookLaneInput): Promise<{ sent: number }> {
  const { retry } = input;
  // The activities run on the webhook task queue (its own worker slots); this workflow only orders them.
  const taskQueue = webhookTaskQueue(workflowInfo().taskQueue);
  const store = proxyActivities<WebhookActivities>({
    taskQueue,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  });
  const send = proxyActivities<WebhookActivities>({
    taskQueue,
    startToCloseTimeout: `${retry.attemptTimeoutSeconds + 5} seconds`,
    scheduleToCloseTimeout: `${retry.windowSeconds} seconds`,
    retry: {
      initialInterval: `${retry.initialSeconds} seconds`,
      backoffCoefficient: 2,
      maximumInterval: `${retry.maxSeconds} seconds`,
    },
  });
  let signalled = true; // a run starts because something was queued (or continues a run that was sending)
  setHandler(deliveriesPendingSignal, () => {
    signalled = true;
  });

  let sent = 0;
  for (;;) {
    if (!signalled && !(await condition(() => signalled, IDLE_BEFORE_END))) return { sent };
    signalled = false;
    for (let next = await store.nextDelivery(input); next; next = await store.nextDelivery(input)) {
      try {
        await send.deliverWebhook(next);
      } catch (err) {
        if (isCancellation(err)) throw err;
        await store.giveUpDelivery({ deliveryId: next, reason: failureReason(err) });
      }
      if (++sent >= MESSAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
        return continueAsNew<typeof webhookLaneWorkflow>(input);
      }
    }
  }
}

function failureReason(err: unknown): string {
  const cause = err instanceof ActivityFailure ? (err.cause ?? err) : err;
  return cause instanceof Error ? cause.message : String(cause);
}
