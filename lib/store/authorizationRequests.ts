import { timingSafeEqual } from 'node:crypto';
import { secretHash } from '../crypto/secretHash.js';
import type { OAuthRequestDoc } from './documents.js';
import { moveRequestStatus } from './moveRequestStatus.js';
import type { Store } from './openStore.js';
import { authorizationRequestIdInState } from './requestState.js';

type Requests = Pick<Store, 'oauthRequests'>;

/** The authorization request of that id (by `_id` alone, the store's fast path), or null. */
export function findAuthorizationRequest(
  store: Requests,
  authorizationRequestId: string,
): Promise<OAuthRequestDoc | null> {
  return store.oauthRequests.findOne({ _id: authorizationRequestId });
}

/** The request an OAuth2 `state` belongs to: by the id the state carries, then the full state's hash must match. */
export async function findAuthorizationRequestByState(store: Requests, state: string): Promise<OAuthRequestDoc | null> {
  const stateHash = secretHash(state);
  const id = authorizationRequestIdInState(state);
  if (id === undefined) return store.oauthRequests.findOne({ stateHash });
  const found = await findAuthorizationRequest(store, id);
  return found && sameHash(found.stateHash, stateHash) ? found : null;
}

/** Marks a request that is still waiting for its callback expired; false when it no longer waited. */
export function expireAuthorizationRequest(store: Requests, authorizationRequestId: string): Promise<boolean> {
  return moveRequestStatus(store, authorizationRequestId, ['pending', 'callback_received'], { status: 'expired' });
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
