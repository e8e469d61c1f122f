import { randomSecret, secretHash } from '../crypto/secretHash.js';
import { isDuplicateKey } from './isDuplicateKey.js';
import type { Store } from './openStore.js';

type FlowSecrets = Pick<Store, 'flowSecrets' | 'flowSecretUses'>;

/** A new secret_id for the connection a flow made, valid until `expiresAt`; only its hash is stored. */
export async function mintFlowSecret(
  store: FlowSecrets,
  made: { accountId: string; connectionId: string; expiresAt: Date },
): Promise<string> {
  const secretId = randomSecret(24);
  await store.flowSecrets.insertOne({ _id: secretHash(secretId), ...made, createdAt: new Date() });
  return secretId;
}

export type Redemption =
  { kind: 'redeemed'; connectionId: string } | { kind: 'unknown' } | { kind: 'expired' } | { kind: 'used' };

/**
 * Redeems a secret_id for the account: the connection it names, once. Another account's secret is
 * `unknown`; the single use is decided by inserting its use (lib/store/README.md, rule 2).
 * `check` runs before the use is taken, so a request refused for another reason leaves it unused.
 */
export async function redeemFlowSecret(
  store: FlowSecrets,
  accountId: string,
  secretId: string,
  check: (connectionId: string) => Promise<void>,
): Promise<Redemption> {
  const _id = secretHash(secretId);
  const secret = await store.flowSecrets.findOne({ _id });
  if (!secret || secret.accountId !== accountId) return { kind: 'unknown' };
  if (secret.expiresAt.getTime() <= Date.now()) return { kind: 'expired' };
  if (await store.flowSecretUses.findOne({ _id })) return { kind: 'used' };
  await check(secret.connectionId);
  try {
    await store.flowSecretUses.insertOne({ _id, usedAt: new Date() });
  } catch (err) {
    if (isDuplicateKey(err)) return { kind: 'used' };
    throw err;
  }
  return { kind: 'redeemed', connectionId: secret.connectionId };
}
