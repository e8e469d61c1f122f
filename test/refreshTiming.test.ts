import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInBrowser } from './support/connectInBrowser.js';
import { startInProcessService } from './support/inProcessService.js';
import { providerControl } from './support/providerControl.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const clients = useStackClients();

// The workflow was started by an API with the old setting (a refresh at most every 10 minutes); the
// worker runs with the current one (every second). The connection must follow the current one.
const CURRENT = { CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '1', CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '1000' };
const AT_START = { CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '600' };

let service: Awaited<ReturnType<typeof startInProcessService>>;
let rivery: RiveryClient;
beforeAll(async () => {
  service = await startInProcessService(CURRENT, AT_START);
  rivery = new RiveryClient(service.url, (await newAccount(clients.store)).token);
});
afterAll(async () => service?.close());

describe('refresh timing is read, not frozen', () => {
  it("a running connection plans with the worker's current timing, not the one its workflow was started with", async () => {
    const provider = providerControl('retimed');
    const before = await provider.refreshCalls();
    await connectInBrowser(rivery, clients.browser, 'retimed');
    // Tokens the provider says are already expired: paced only by the minimum interval.
    await waitUntil(
      'three refreshes at the current pace',
      async () => (await provider.refreshCalls()) - before >= 3,
      20_000,
    );
    expect((await provider.refreshCalls()) - before).toBeGreaterThanOrEqual(3);
  });
});
