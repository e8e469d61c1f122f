import { describe, expect, it } from 'vitest';
import { connectInBrowser } from './support/connectInBrowser.js';
import { providerControl } from './support/providerControl.js';
import { stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const clients = useStackClients();
const WATCH_MS = 20_000;

describe('nonsense lifetimes from a provider never become a storm', () => {
  it.each([
    ['says_zero', 'not_positive'],
    ['says_abc', 'not_a_number'],
  ])(
    '%s: the flow succeeds, refreshes are paced by the minimum interval, and it is said once',
    async (provider, reason) => {
      const control = providerControl(provider);
      const id = await connectInBrowser(clients.rivery, clients.browser, provider);
      const before = await control.refreshCalls();
      const started = Date.now();
      await waitUntil(
        "20 seconds of a connection's life",
        async () => Date.now() - started >= WATCH_MS,
        WATCH_MS + 10_000,
      );
      const calls = (await control.refreshCalls()) - before;
      const minIntervalMs = stack.timing.minIntervalSeconds * 1000;
      console.log(`${provider}: ${calls} refreshes in ${WATCH_MS / 1000} s (at most ${WATCH_MS / minIntervalMs + 1})`);
      expect(calls).toBeGreaterThanOrEqual(2); // still kept fresh
      expect(calls).toBeLessThanOrEqual(WATCH_MS / minIntervalMs + 1);
      expect((await clients.rivery.getConnection(id)).body.status).toBe('active');
      const events = await clients.store.events
        .find({ connectionId: id, type: 'connection.token_lifetime_floored' })
        .toArray();
      expect(events).toHaveLength(1);
      expect(events[0]!.details).toMatchObject({ reason, min_interval_seconds: stack.timing.minIntervalSeconds });
    },
  );
});
