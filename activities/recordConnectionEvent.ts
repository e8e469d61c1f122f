import { webhookRetry } from '../lib/config.js';
import { eventId } from '../lib/events/eventId.js';
import { publicEvent, webhookPayload } from '../lib/events/publicEvent.js';
import type { ConnectionDoc, ConnectionEventDoc, EventType } from '../lib/store/documents.js';
import { isDuplicateKey } from '../lib/store/isDuplicateKey.js';
import { queueDelivery } from '../lib/webhooks/queueDelivery.js';
import type { ActivityContext } from './activityContext.js';
import type { TokenLifetimeProblem } from './checkTokenLifetime.js';

export type EventSubject = Pick<ConnectionDoc, '_id' | 'accountId' | 'provider'>;

/**
 * Writes an event to `events` and returns it; `cause` (with the type and the connection) makes its id,
 * so writing it again (a retried activity) finds the first. An event that describes a status change is
 * written before the status: nobody can see the status without its event. (FerretDB has no
 * multi-document transactions; the status write after it is retried until it lands, see refreshTokens.)
 */
export async function writeEvent(
  ctx: ActivityContext,
  subject: EventSubject,
  type: EventType,
  cause: string[],
  details: Record<string, unknown> = {},
): Promise<ConnectionEventDoc> {
  const event: ConnectionEventDoc = {
    _id: eventId(type, subject._id, ...cause),
    connectionId: subject._id,
    accountId: subject.accountId,
    provider: subject.provider,
    type,
    details,
    at: new Date(),
  };
  try {
    await ctx.store.events.insertOne(event);
    return event;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return (await ctx.store.events.findOne({ _id: event._id })) ?? event;
  }
}

/**
 * Hands a written event to the account's webhook (if it takes the type). Called once the status the
 * event describes is stored, so a receiver that reads the connection on receipt sees it.
 */
export async function announceEvent(ctx: ActivityContext, event: ConnectionEventDoc): Promise<void> {
  const { id, ...message } = publicEvent(event);
  await queueDelivery(
    { store: ctx.store, temporal: ctx.temporal, taskQueue: ctx.taskQueue, retry: webhookRetry(ctx.config) },
    { id, accountId: event.accountId, lane: event.connectionId, type: event.type, payload: webhookPayload(message) },
  );
}

/** An event that changes no status: written, then announced. */
export async function recordConnectionEvent(
  ctx: ActivityContext,
  subject: EventSubject,
  type: EventType,
  cause: string[],
  details: Record<string, unknown> = {},
): Promise<void> {
  await announceEvent(ctx, await writeEvent(ctx, subject, type, cause, details));
}

/** Says once per connection that its provider's token lifetime is too short (or unusable) to plan by. */
export function recordLifetimeFloored(
  ctx: ActivityContext,
  doc: EventSubject,
  problem: TokenLifetimeProblem,
): Promise<void> {
  return recordConnectionEvent(ctx, doc, 'connection.token_lifetime_floored', [], {
    ...problem,
    min_interval_seconds: ctx.timing.minIntervalSeconds,
  });
}
