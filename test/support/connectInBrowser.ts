import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import type { StoredCredentials } from '../../lib/store/documents.js';
import type { Store } from '../../lib/store/openStore.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import { authorizeInBrowser } from './browser.js';
import type { RiveryClient } from './RiveryClient.js';
import { keyRing } from './testStack.js';

/** The whole user flow for one connection type; returns the new connection's id. */
export async function connectInBrowser(rivery: RiveryClient, browser: Browser, provider: string): Promise<string> {
  const created = await rivery.newOAuth2Request({ datasource_id: provider, validity_duration: 600 });
  expect(created.status).toBe(200);
  const landing = await authorizeInBrowser(browser, created.body.auth_uri);
  expect(landing.result).toMatchObject({ connected: true });
  return landing.result.connection_id;
}

/** What is stored for a connection right now, decrypted (tests know the key ring). */
export async function storedCredentials(store: Store, connectionId: string): Promise<StoredCredentials | undefined> {
  const doc = await store.connections.findOne({ _id: connectionId });
  return doc ? readCredentials(keyRing, doc) : undefined;
}
