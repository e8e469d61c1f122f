import type { KeyRing } from '../crypto/keyRing.js';
import type { ConnectionDoc, StoredCredentials } from './documents.js';

/** Decrypts a connection's tokens (bound to its id, so an envelope moved to another document fails). */
export function readCredentials(keyRing: KeyRing, doc: Pick<ConnectionDoc, '_id' | 'credentials'>): StoredCredentials {
  return keyRing.decryptJson<StoredCredentials>(doc.credentials, doc._id);
}
