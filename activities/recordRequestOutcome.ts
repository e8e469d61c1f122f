import { expireAuthorizationRequest } from '../lib/store/authorizationRequests.js';
import { moveRequestStatus } from '../lib/store/moveRequestStatus.js';
import type { ActivityContext } from './activityContext.js';

/** The validity timer fired first: the request (and its pull_id and state) is expired from now on. */
export async function markRequestExpired(ctx: ActivityContext, authorizationRequestId: string): Promise<void> {
  await expireAuthorizationRequest(ctx.store, authorizationRequestId);
}

/** The provider (or the exchange) said no: kept so `POST /api/oauth2/credentials` can answer 422. */
export async function markRequestFailed(
  ctx: ActivityContext,
  authorizationRequestId: string,
  error: { error: string; error_description: string | null },
): Promise<void> {
  await moveRequestStatus(ctx.store, authorizationRequestId, 'any but completed', { status: 'failed', error });
}
