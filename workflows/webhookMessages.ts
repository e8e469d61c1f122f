import { defineSignal } from '@temporalio/workflow';
import type { WebhookRetry } from '../lib/config.js';

/** A lane's delivery workflow: one account, one lane, the retry policy of its deliveries. */
export interface WebhookLaneInput {
  accountId: string;
  lane: string;
  retry: WebhookRetry;
}

/** New messages were queued in the lane (sent with signal-with-start: it starts the workflow when none runs). */
export const deliveriesPendingSignal = defineSignal('deliveriesPending');
