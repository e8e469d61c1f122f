import { describe, expect, it } from 'vitest';
import { connectInBrowser } from './support/connectInBrowser.js';
import { useInProcessService } from './support/inProcessService.js';
import { providerControl } from './support/providerControl.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const clients = useStackClients();

// The workflow was started by an API with the old setting (a refresh at most every 10 minutes); the
// worker runs with the current one (every second). The connection must follow the current one.
const CURRENT = { CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '1', CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '1000' };
const AT_START = { CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '600' };

const inProcess = useInProcessService(() => clients.store, CURRENT, AT_START);

describe('refresh timing is read, not frozen', () => {
  it("a running connection plans with the worker's current timing, not the one its workflow was started with", async () => {
    const provider = providerControl('retimed');
    const before = await provider.refreshCalls();
    await connectInBrowser(inProcess.rivery, clients.browser, 'retimed');
    // Tokens the provider says are already expired: paced only by the minimum interval.
    await waitUntil(
      'three refreshes at the current pace',
      async () => (await provider.refreshCalls()) - before >= 3,
      20_000,
    );
    expect((await provider.refreshCalls()) - before).toBeGreaterThanOrEqual(3);
  });
});
