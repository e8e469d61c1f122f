import type { ConnectionDoc, ConnectionEventType } from '../lib/store/documents.js';
import type { ActivityContext } from './activityContext.js';
import type { TokenLifetimeProblem } from './checkTokenLifetime.js';

type EventSubject = Pick<ConnectionDoc, '_id' | 'accountId' | 'provider'>;

/** Appends to the `events` collection what an account's operators should know about a connection. */
export async function recordConnectionEvent(
  ctx: ActivityContext,
  doc: EventSubject,
  type: ConnectionEventType,
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.store.events.insertOne({
    connectionId: doc._id,
    accountId: doc.accountId,
    provider: doc.provider,
    type,
    details,
    at: new Date(),
  });
}

/** The same, unless the connection already has an event of that type (a condition worth saying once). */
export async function recordConnectionEventOnce(
  ctx: ActivityContext,
  doc: EventSubject,
  type: ConnectionEventType,
  details: Record<string, unknown> = {},
): Promise<void> {
  if (await ctx.store.events.findOne({ connectionId: doc._id, type }, { projection: { _id: 1 } })) return;
  await recordConnectionEvent(ctx, doc, type, details);
}

/** Says once per connection that its provider's token lifetime is too short (or unusable) to plan by. */
export function recordLifetimeFloored(
  ctx: ActivityContext,
  doc: Pick<ConnectionDoc, '_id' | 'accountId' | 'provider'>,
  problem: TokenLifetimeProblem,
): Promise<void> {
  return recordConnectionEventOnce(ctx, doc, 'connection.token_lifetime_floored', {
    ...problem,
    min_interval_seconds: ctx.timing.minIntervalSeconds,
  });
}
