import type { ActivityContext } from './activityContext.js';

/** The validity timer fired first: the request (and its pull_id and state) is expired from now on. */
export async function markRequestExpired(ctx: ActivityContext, requestId: string): Promise<void> {
  await ctx.store.oauthRequests.updateOne(
    { _id: requestId, status: { $in: ['pending', 'callback_received'] } },
    { $set: { status: 'expired', updatedAt: new Date() } },
  );
}

/** The provider (or the exchange) said no: kept so `POST /api/oauth2/credentials` can answer 422. */
export async function markRequestFailed(
  ctx: ActivityContext,
  requestId: string,
  error: { error: string; error_description: string | null },
): Promise<void> {
  await ctx.store.oauthRequests.updateOne(
    { _id: requestId, status: { $ne: 'completed' } },
    { $set: { status: 'failed', error, updatedAt: new Date() } },
  );
}
