import type { ConnectionDoc } from '../lib/store/documents.js';
import type { ActivityContext } from './activityContext.js';

/** Appends to the `events` collection what an account's operators should know about a connection. */
export async function recordConnectionEvent(
  ctx: ActivityContext,
  doc: Pick<ConnectionDoc, '_id' | 'accountId' | 'connectionType'>,
  type: 'needs_reauth' | 'revocation_failed' | 'deleted',
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.store.events.insertOne({
    connectionId: doc._id,
    accountId: doc.accountId,
    connectionType: doc.connectionType,
    type,
    details,
    at: new Date(),
  });
}
