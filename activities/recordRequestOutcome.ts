import { expireAuthorizationRequest, findAuthorizationRequest } from '../lib/store/authorizationRequests.js';
import type { OAuthRequestDoc, OAuthRequestStatus } from '../lib/store/documents.js';
import { moveRequestStatus } from '../lib/store/moveRequestStatus.js';
import { setById } from '../lib/store/setById.js';
import type { ActivityContext } from './activityContext.js';
import { announceEvent, writeEvent } from './recordConnectionEvent.js';
import { countFlowEnded } from '../lib/metrics/flowMetrics.js';

type ProviderError = { error: string; error_description: string | null };
type RequestSubject = Pick<OAuthRequestDoc, '_id' | 'connectionId' | 'accountId' | 'provider'>;

/**
 * An authorization request that ends without a connection, as an event of the connection it was for
 * (a new one or one being reauthorized), named by the request's id: the SHA-256 of the pull_id, which
 * is also the prefix of its `state`, so the pull_id itself never appears.
 */
function writeRequestEvent(
  ctx: ActivityContext,
  request: RequestSubject,
  type: 'authorization.failed' | 'authorization.expired',
  details: Record<string, unknown>,
) {
  const subject = { _id: request.connectionId, accountId: request.accountId, provider: request.provider };
  return writeEvent(ctx, subject, type, [request._id], { authorization_request_id: request._id, ...details });
}

/** The validity timer fired first: the request (and its pull_id and state) is expired from now on. */
export async function markRequestExpired(ctx: ActivityContext, authorizationRequestId: string): Promise<void> {
  const waiting: OAuthRequestStatus[] = ['pending', 'callback_received'];
  const request = await findAuthorizationRequest(ctx.store, authorizationRequestId);
  // (already expired: a retry after the move, which still announces)
  if (!request || (!waiting.includes(request.status) && request.status !== 'expired')) return;
  const event = await writeRequestEvent(ctx, request, 'authorization.expired', {
    expired_at: request.expiresAt.toISOString(),
  });
  await expireAuthorizationRequest(ctx.store, authorizationRequestId);
  if (request.status !== 'expired') countFlowEnded(request.provider, 'expired');
  await announceEvent(ctx, event);
}

/** The provider (or the exchange) said no: kept so `POST /api/oauth2/credentials` can answer 422. */
export async function markRequestFailed(
  ctx: ActivityContext,
  authorizationRequestId: string,
  error: ProviderError,
): Promise<void> {
  const request = await ctx.store.oauthRequests.findOne({ _id: authorizationRequestId });
  if (!request || request.status === 'completed') return;
  const event = await writeRequestEvent(ctx, request, 'authorization.failed', { ...error });
  await moveRequestStatus(ctx.store, authorizationRequestId, 'any but completed', { status: 'failed', error });
  if (request.status !== 'failed') countFlowEnded(request.provider, 'failed');
  await announceEvent(ctx, event);
}

/** The same for the code exchange, which stores the failure itself: the event before it, announced after. */
export async function failRequest(ctx: ActivityContext, request: RequestSubject, error: ProviderError): Promise<void> {
  const event = await writeRequestEvent(ctx, request, 'authorization.failed', { ...error });
  await setById(ctx.store.oauthRequests, request._id, { $set: { status: 'failed', error, updatedAt: new Date() } });
  countFlowEnded(request.provider, 'failed');
  await announceEvent(ctx, event);
}
