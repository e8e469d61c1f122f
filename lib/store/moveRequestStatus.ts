import { OAUTH_REQUEST_STATUSES, type OAuthRequestDoc, type OAuthRequestStatus } from './documents.js';
import type { Store } from './openStore.js';
import { setById } from './setById.js';

/**
 * Moves an authorization request to `set.status` if its status is one of `from`; false if it was not.
 * By `_id` only (a status in the filter makes FerretDB filter every document in Go: 840 ms at 10,000
 * requests), so it is read, checked, then written. That is safe because a request's moves are serialised
 * elsewhere: its workflow makes them one at a time, and the API's single move (to expired) is made
 * only by the winner of the callback claim after the workflow refused that callback.
 */
export async function moveRequestStatus(
  store: Pick<Store, 'oauthRequests'>,
  authorizationRequestId: string,
  from: OAuthRequestStatus[] | 'any but completed',
  set: Partial<Omit<OAuthRequestDoc, '_id'>> & { status: OAuthRequestStatus },
): Promise<boolean> {
  const allowed: readonly OAuthRequestStatus[] =
    from === 'any but completed' ? OAUTH_REQUEST_STATUSES.filter((s) => s !== 'completed') : from;
  const current = await store.oauthRequests.findOne({ _id: authorizationRequestId });
  if (!current || !allowed.includes(current.status)) return false;
  await setById(store.oauthRequests, authorizationRequestId, { $set: { ...set, updatedAt: new Date() } });
  return true;
}
