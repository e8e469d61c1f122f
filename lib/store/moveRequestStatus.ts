import { OAUTH_REQUEST_STATUSES, type OAuthRequestDoc, type OAuthRequestStatus } from './documents.js';
import type { Store } from './openStore.js';
import { setById } from './setById.js';

/**
 * Moves an authorization request to `set.status` if its status is one of `from`; false if it was not.
 * Read, checked, then written by `_id`: not atomic, and safe as lib/store/README.md says (rules 1 and 3).
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
