import { randomBytes } from 'node:crypto';
import type { KeyRing } from '../crypto/keyRing.js';

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** What the secret's envelope is bound to: its account (reencryptStoredSecrets rewraps it with the same). */
export const webhookSecretAssociatedData = (accountId: string) => `webhook:${accountId}`;

/** The secret as stored: an envelope bound to its account, so it cannot be moved to another. */
export const sealWebhookSecret = (keyRing: KeyRing, accountId: string, secret: string): string =>
  keyRing.encrypt(Buffer.from(secret), webhookSecretAssociatedData(accountId));

export const openWebhookSecret = (keyRing: KeyRing, accountId: string, envelope: string): string =>
  keyRing.decrypt(envelope, webhookSecretAssociatedData(accountId)).toString('utf8');
