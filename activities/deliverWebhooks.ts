import { ApplicationFailure } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { AddressPolicy } from '../lib/net/publicAddress.js';
import type { DeliveryAttempt, WebhookDeliveryDoc } from '../lib/store/documents.js';
import type { Store } from '../lib/store/openStore.js';
import { setById } from '../lib/store/setById.js';
import { postWebhook } from '../lib/webhooks/postWebhook.js';
import { openWebhookSecret } from '../lib/webhooks/webhookSecret.js';
import { webhookOutcomes } from '../lib/metrics/webhookMetrics.js';

/** What the delivery activities use (on the webhook task queue's worker). */
export interface WebhookContext {
  store: Store;
  keyRing: KeyRing;
  policy: AddressPolicy;
  attemptTimeoutMs: number;
}

/** A delivery keeps its latest attempts, this many (a long outage retried often would grow it without end). */
const KEPT_ATTEMPTS = 50;

/** The oldest message still to deliver in a lane, or null. */
export async function nextDelivery(
  ctx: WebhookContext,
  input: { accountId: string; lane: string },
): Promise<string | null> {
  const [next] = await ctx.store.webhookDeliveries
    .find({ accountId: input.accountId, lane: input.lane, status: 'pending' }, { projection: { _id: 1 } })
    .sort({ createdAt: 1, _id: 1 })
    .limit(1)
    .toArray();
  return next?._id ?? null;
}

/**
 * One attempt at one message: signed now (Standard Webhooks: `webhook-id` is the message's id on every
 * attempt, `webhook-timestamp` and the signature are this attempt's) with the endpoint's current URL
 * and secret, both read here so neither enters Temporal. Records the attempt; throws unless a 2xx came
 * back, for Temporal to retry with backoff. A message whose endpoint went away or was paused is failed.
 */
export async function deliverWebhook(ctx: WebhookContext, deliveryId: string): Promise<'delivered' | 'failed'> {
  const { webhooks, webhookDeliveries } = ctx.store;
  const delivery = await webhookDeliveries.findOne({ _id: deliveryId });
  if (!delivery || delivery.status !== 'pending') return delivery?.status === 'delivered' ? 'delivered' : 'failed';
  const webhook = await webhooks.findOne({ _id: delivery.accountId });
  if (!webhook || webhook.disabledAt) {
    await failDelivery(ctx, delivery, webhook ? 'the endpoint is paused' : 'the endpoint was removed');
    return 'failed';
  }
  const secret = openWebhookSecret(ctx.keyRing, webhook._id, webhook.secret);
  const at = new Date();
  const headers = {
    'webhook-id': delivery._id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(delivery._id, at, delivery.payload),
  };
  const outcome = await postWebhook(new URL(webhook.url), delivery.payload, headers, {
    policy: ctx.policy,
    timeoutMs: ctx.attemptTimeoutMs,
  });
  const accepted = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
  const attempt: DeliveryAttempt = { at, ...outcome };
  await setById(webhookDeliveries, delivery._id, {
    $set: {
      attempts: [...delivery.attempts.slice(-(KEPT_ATTEMPTS - 1)), attempt],
      ...(accepted ? { status: 'delivered' as const } : {}),
      updatedAt: new Date(),
    },
  });
  webhookOutcomes.inc({ outcome: accepted ? 'delivered' : 'not_accepted' });
  if (accepted) return 'delivered';
  throw ApplicationFailure.retryable(
    outcome.error ?? `the endpoint answered ${outcome.statusCode}`,
    'webhook_not_accepted',
  );
}

/**
 * A message refused for the whole retry window: failed, and the endpoint paused with the rest of its
 * queue failed too, so a dead endpoint holds at most one window of messages. Registering the
 * endpoint again (PUT /api/webhook) resumes it; the events stay listed in GET /api/events.
 */
export async function giveUpDelivery(
  ctx: WebhookContext,
  input: { deliveryId: string; reason: string },
): Promise<void> {
  const delivery = await ctx.store.webhookDeliveries.findOne({ _id: input.deliveryId });
  if (!delivery || delivery.status !== 'pending') return;
  await failDelivery(ctx, delivery, input.reason);
  const now = new Date();
  await ctx.store.webhooks.updateOne(
    { _id: delivery.accountId, disabledAt: null },
    {
      $set: { disabledAt: now, disabledReason: `a message was not accepted within the retry window: ${input.reason}` },
    },
  );
  const queued = await ctx.store.webhookDeliveries.updateMany(
    { accountId: delivery.accountId, status: 'pending' },
    { $set: { status: 'failed', failure: 'the endpoint was paused', updatedAt: now } },
  );
  if (queued.modifiedCount > 0) webhookOutcomes.inc({ outcome: 'failed' }, queued.modifiedCount);
}

async function failDelivery(ctx: WebhookContext, delivery: WebhookDeliveryDoc, failure: string): Promise<void> {
  await setById(ctx.store.webhookDeliveries, delivery._id, {
    $set: { status: 'failed', failure, updatedAt: new Date() },
  });
  webhookOutcomes.inc({ outcome: 'failed' });
}

export function createWebhookActivities(ctx: WebhookContext) {
  return {
    nextDelivery: (input: { accountId: string; lane: string }) => nextDelivery(ctx, input),
    deliverWebhook: (deliveryId: string) => deliverWebhook(ctx, deliveryId),
    giveUpDelivery: (input: { deliveryId: string; reason: string }) => giveUpDelivery(ctx, input),
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
