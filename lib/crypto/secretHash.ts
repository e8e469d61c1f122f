import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of a high-entropy secret (state, pull_id, API token): what we store and look up by. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** A random URL-safe secret of `bytes` bytes of entropy. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
