import { inject } from 'vitest';
import type { Client } from '@temporalio/client';
import { parseKeyRing } from '../../lib/crypto/keyRing.js';
import { createApiToken } from '../../lib/store/apiTokens.js';
import type { ApiScope } from '../../lib/store/documents.js';
import { openStore, type Store } from '../../lib/store/openStore.js';
import { connectTemporalClient } from '../../lib/temporal/connectTemporalClient.js';

/** The running test stack (started by globalSetup) and clients onto its real servers. */
export const stack = inject('stack');
export const keyRing = parseKeyRing(stack.encryptionKeys);
/** The refresh timing the test stack's API and worker run with (short, for 5-second tokens). */
export const testTiming = stack.timing;

export function openTestStore(): Promise<Store> {
  return openStore({ MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: 'connectflow' });
}

export function connectTestTemporal(): Promise<Client> {
  return connectTemporalClient(
    { TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.temporalNamespace },
    keyRing,
  );
}

/** A fresh account with an API token of the given scopes. */
export async function newAccount(
  store: Store,
  scopes: ApiScope[] = ['connection:read', 'connection:edit'],
): Promise<{ accountId: string; token: string; tokenId: string }> {
  const accountId = `acct-${Math.random().toString(36).slice(2, 10)}`;
  return { accountId, ...(await createApiToken(store, { accountId, scopes, name: 'test' })) };
}
