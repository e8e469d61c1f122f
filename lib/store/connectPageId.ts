import { randomSecret, secretHash } from '../crypto/secretHash.js';

/**
 * The id in a connect page's address (`/connect/<id>`): random, unrelated to the pull_id, and stored
 * only as its hash (the page document's `_id`), like the pull_id.
 */
export function newConnectPageId(): { connectId: string; connectPageId: string } {
  const connectId = randomSecret(32);
  return { connectId, connectPageId: connectPageIdOf(connectId) };
}

/** The stored id of the connect page a `/connect/<id>` address names. */
export const connectPageIdOf = (connectId: string): string => secretHash(connectId);
