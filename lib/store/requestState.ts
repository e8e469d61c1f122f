import { randomSecret } from '../crypto/secretHash.js';

/**
 * The OAuth2 `state` of an authorization request: `<request id>.<32 random bytes>`. Only its hash is
 * stored; the prefix lets the callback find the request by `_id` (the store's fast path) and then
 * compare the hash. The request id is itself the hash of the `pull_id`, so it gives nothing away.
 */
export function newRequestState(authorizationRequestId: string): string {
  return `${authorizationRequestId}.${randomSecret(32)}`;
}

/** The authorization request id a state names, or undefined for a state without one. */
export function authorizationRequestIdInState(state: string): string | undefined {
  const dot = state.indexOf('.');
  return dot > 0 ? state.slice(0, dot) : undefined;
}
