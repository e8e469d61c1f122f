import { randomSecret, secretHash } from '../crypto/secretHash.js';
import type { Store } from './openStore.js';

export const CODEC_SESSION_SECONDS = 8 * 3600;

/** Starts a decoding session for an operator token; returns the random session id (stored only hashed). */
export async function startCodecSession(store: Store, tokenHash: string): Promise<string> {
  const now = new Date();
  // Expired sessions are refused anyway; sweeping them here keeps the collection small.
  await store.codecSessions.deleteMany({ expiresAt: { $lte: now } });
  const sessionId = randomSecret(32);
  await store.codecSessions.insertOne({
    _id: secretHash(sessionId),
    tokenHash,
    createdAt: now,
    expiresAt: new Date(now.getTime() + CODEC_SESSION_SECONDS * 1000),
  });
  return sessionId;
}

/** The operator token hash of a live session, or undefined for an unknown or expired session id. */
export async function codecSessionToken(store: Store, sessionId: string): Promise<string | undefined> {
  const session = await store.codecSessions.findOne({ _id: secretHash(sessionId), expiresAt: { $gt: new Date() } });
  return session?.tokenHash;
}
