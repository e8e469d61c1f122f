import { randomSecret, secretHash } from '../crypto/secretHash.js';

/**
 * The `pull_id` is the API client's handle on one authorization request; the request's id is the
 * pull_id's hash. The API mints both and hands only the id on (to MongoDB and Temporal), so the
 * pull_id itself is never stored and never crosses Temporal.
 */
export function newPullId(): { pullId: string; authorizationRequestId: string } {
  const pullId = randomSecret(32);
  return { pullId, authorizationRequestId: authorizationRequestIdOf(pullId) };
}

/** The id of the authorization request a `pull_id` names. */
export const authorizationRequestIdOf = (pullId: string): string => secretHash(pullId);
