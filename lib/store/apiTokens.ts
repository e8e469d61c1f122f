import { randomSecret, secretHash } from '../crypto/secretHash.js';
import { API_SCOPES, type ApiScope, type ApiTokenDoc } from './documents.js';
import type { Store } from './openStore.js';
import { setById } from './setById.js';

export function parseScopes(list: string): ApiScope[] {
  const scopes = list.split(/[,\s]+/).filter(Boolean);
  for (const scope of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(scope)) {
      throw new Error(`unknown scope "${scope}" (known: ${API_SCOPES.join(', ')})`);
    }
  }
  if (scopes.length === 0) throw new Error('at least one scope is needed');
  if (scopes.includes('operator')) throw new Error('operator tokens belong to no account: create one with --operator');
  return scopes as ApiScope[];
}

/** An end user's id as the account names it (the `ownerId` of its connections). */
export const END_USER_ID_PATTERN = /^[A-Za-z0-9_.@:+-]{1,200}$/;

export interface ApiTokenInput {
  accountId: string;
  scopes: ApiScope[];
  name: string;
  /** bind the token to one end user of the account */
  userId?: string | null;
  expiresAt?: Date | null;
}

/**
 * Creates an API token for an account (optionally bound to one of its end users, optionally
 * expiring); only its hash is stored, the token is returned once. A user-bound token never holds
 * `account:admin`: it acts for one end user, not for the account.
 */
export async function createApiToken(store: Store, input: ApiTokenInput): Promise<{ token: string; tokenId: string }> {
  if (!/^[A-Za-z0-9_.@-]{1,100}$/.test(input.accountId))
    throw new Error('account ids are 1-100 characters of A-Z a-z 0-9 _ . @ -');
  if (input.scopes.includes('operator')) throw new Error('operator tokens belong to no account (createOperatorToken)');
  const userId = input.userId ?? null;
  if (userId !== null && !END_USER_ID_PATTERN.test(userId))
    throw new Error('end user ids are 1-200 characters of A-Z a-z 0-9 _ . @ : + -');
  if (userId !== null && input.scopes.includes('account:admin'))
    throw new Error('a token bound to an end user cannot hold account:admin (it acts for the user, not the account)');
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new Error('expires_at must be in the future');
  return insertToken(store, { ...input, userId, expiresAt: input.expiresAt ?? null });
}

/** Creates an operator token (scope `operator`, no account): decodes any account's Temporal payloads at /codec. */
export function createOperatorToken(
  store: Store,
  input: { name: string },
): Promise<{ token: string; tokenId: string }> {
  return insertToken(store, { accountId: null, scopes: ['operator'], name: input.name });
}

async function insertToken(
  store: Store,
  input: {
    accountId: string | null;
    scopes: ApiScope[];
    name: string;
    userId?: string | null;
    expiresAt?: Date | null;
  },
): Promise<{ token: string; tokenId: string }> {
  const token = `cf_${randomSecret(32)}`;
  const tokenId = `tok_${randomSecret(9)}`;
  await store.apiTokens.insertOne({
    _id: secretHash(token),
    tokenId,
    accountId: input.accountId,
    scopes: input.scopes,
    name: input.name,
    userId: input.userId ?? null,
    expiresAt: input.expiresAt ?? null,
    createdAt: new Date(),
    lastUsedAt: null,
  });
  return { token, tokenId };
}

/** Revokes a token by its public id: refused (401) from the next request on. */
export async function revokeApiToken(store: Store, tokenId: string): Promise<boolean> {
  const result = await store.apiTokens.updateOne(
    { tokenId, revokedAt: { $exists: false } },
    { $set: { revokedAt: new Date() } },
  );
  return result.modifiedCount === 1;
}

/** A token by its hash (what is stored), revoked or not; null for a token never issued. */
export function findApiToken(store: Pick<Store, 'apiTokens'>, tokenHash: string): Promise<ApiTokenDoc | null> {
  return store.apiTokens.findOne({ _id: tokenHash });
}

export async function recordApiTokenUse(store: Pick<Store, 'apiTokens'>, tokenHash: string, at: Date): Promise<void> {
  await setById(store.apiTokens, tokenHash, { $set: { lastUsedAt: at } });
}

/** An account's tokens, or (accountId null) the operator tokens. */
export function listApiTokens(store: Pick<Store, 'apiTokens'>, accountId: string | null): Promise<ApiTokenDoc[]> {
  return store.apiTokens.find({ accountId }).toArray();
}
