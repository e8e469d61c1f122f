import type { Client } from '@temporalio/client';
import type { WebhookRetry } from '../config.js';
import type { EventType, WebhookDeliveryDoc } from '../store/documents.js';
import { isDuplicateKey } from '../store/isDuplicateKey.js';
import type { Store } from '../store/openStore.js';
import { webhookLaneWorkflowId } from '../temporal/names.js';
import { deliveriesPendingSignal, type WebhookLaneInput } from '../../workflows/webhookMessages.js';

/** What queuing a message needs: the store, Temporal and the task queue of the connections' workflows. */
export interface DeliveryQueue {
  store: Pick<Store, 'webhooks' | 'webhookDeliveries'>;
  temporal: Client;
  taskQueue: string;
  retry: WebhookRetry;
}

/** The lane of an account's test pings (every other lane is a connection's id). */
export const PING_LANE = 'ping';

export interface Message {
  /** the event's id: the webhook-id of every attempt */
  id: string;
  accountId: string;
  lane: string;
  type: EventType | 'ping';
  payload: string;
}

/**
 * Queues a message for the account's endpoint, if it has one that is not paused and takes this type
 * (a `ping` always), and wakes the lane's delivery workflow. Idempotent: the message is stored under
 * its id once, and a signal to a lane already draining only makes it look again. Returns whether queued.
 */
export async function queueDelivery(queue: DeliveryQueue, message: Message): Promise<boolean> {
  const webhook = await queue.store.webhooks.findOne({ _id: message.accountId });
  if (!webhook || webhook.disabledAt) return false;
  if (message.type !== 'ping' && !webhook.events.includes(message.type)) return false;
  const now = new Date();
  const delivery: WebhookDeliveryDoc = {
    _id: message.id,
    accountId: message.accountId,
    lane: message.lane,
    type: message.type,
    payload: message.payload,
    status: 'pending',
    attempts: [],
    failure: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await queue.store.webhookDeliveries.insertOne(delivery);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const input: WebhookLaneInput = { accountId: message.accountId, lane: message.lane, retry: queue.retry };
  await queue.temporal.workflow.signalWithStart('webhookLaneWorkflow', {
    workflowId: webhookLaneWorkflowId(message.accountId, message.lane),
    taskQueue: queue.taskQueue,
    args: [input],
    signal: deliveriesPendingSignal,
    signalArgs: [],
  });
  return true;
}
