import type { KeyRing } from '../crypto/keyRing.js';
import type { OAuthAppDoc } from './documents.js';
import type { Store } from './openStore.js';

type OAuthApps = Pick<Store, 'oauthApps'>;

/** An account's app for a provider has one id, so every lookup is by `_id` (lib/store/README.md, rule 1). */
export function oauthAppId(accountId: string, provider: string): string {
  return `${accountId}/${provider}`;
}

export interface OAuthAppInput {
  accountId: string;
  provider: string;
  clientId: string;
  clientSecret: string;
  scopes: string[] | null;
}

/** Creates or replaces the account's app for the provider; the secret is stored only as an envelope. */
export async function putOAuthApp(store: OAuthApps, keyRing: KeyRing, input: OAuthAppInput): Promise<OAuthAppDoc> {
  const _id = oauthAppId(input.accountId, input.provider);
  const now = new Date();
  const fields = {
    accountId: input.accountId,
    provider: input.provider,
    clientId: input.clientId,
    clientSecret: keyRing.encrypt(Buffer.from(input.clientSecret), _id),
    scopes: input.scopes,
    updatedAt: now,
  };
  const before = await store.oauthApps.findOneAndUpdate(
    { _id },
    { $set: fields, $setOnInsert: { createdAt: now } },
    { upsert: true, returnDocument: 'before' },
  );
  return { _id, ...fields, createdAt: before?.createdAt ?? now };
}

export function findOAuthApp(store: OAuthApps, accountId: string, provider: string): Promise<OAuthAppDoc | null> {
  return store.oauthApps.findOne({ _id: oauthAppId(accountId, provider) });
}

export function listOAuthApps(store: OAuthApps, accountId: string): Promise<OAuthAppDoc[]> {
  return store.oauthApps.find({ accountId }).sort({ _id: 1 }).toArray();
}

/** True when there was an app to remove. Connections made with it keep their snapshot of it. */
export async function deleteOAuthApp(store: OAuthApps, accountId: string, provider: string): Promise<boolean> {
  const result = await store.oauthApps.deleteOne({ _id: oauthAppId(accountId, provider) });
  return result.deletedCount === 1;
}
