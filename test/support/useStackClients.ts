import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../lib/store/openStore.js';
import { launchBrowser } from './browser.js';
import { RiveryClient } from './RiveryClient.js';
import { connectTestTemporal, newAccount, openTestStore, stack } from './testStack.js';

export interface StackClients {
  store: Store;
  browser: Browser;
  temporal: Client;
  /** a Rivery client of a fresh account of this test file */
  rivery: RiveryClient;
}

/**
 * Opens, for one test file, clients onto the suite's running stack (MongoDB, Chromium, Temporal, the
 * API) and closes them after it. The fields are there once the file's beforeAll has run.
 */
export function useStackClients(): StackClients {
  const clients = {} as StackClients;
  beforeAll(async () => {
    clients.store = await openTestStore();
    clients.browser = await launchBrowser();
    clients.temporal = await connectTestTemporal();
    clients.rivery = new RiveryClient(stack.apiUrl, (await newAccount(clients.store)).token);
  });
  afterAll(async () => {
    await clients.browser?.close();
    await clients.temporal?.connection.close();
    await clients.store?.close();
  });
  return clients;
}
