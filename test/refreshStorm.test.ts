import { describe, expect, it } from 'vitest';
import { connectInBrowser, storedCredentials } from './support/connectInBrowser.js';
import { useInProcessService } from './support/inProcessService.js';
import { providerControl } from './support/providerControl.js';
import { simulateRefreshes } from './support/simulateRefreshes.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';

const clients = useStackClients();

/** The shipped refresh timing (lib/config.ts defaults), on a worker of this file's own. */
const SHIPPED_TIMING = {
  CONNECTFLOW_REFRESH_MARGIN_SECONDS: '300',
  CONNECTFLOW_REFRESH_JITTER_SECONDS: '30',
  CONNECTFLOW_REFRESH_COALESCE_SECONDS: '10',
  CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '30',
  CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '10',
  CONNECTFLOW_REFRESH_THROTTLE_WINDOW_SECONDS: '600',
  CONNECTFLOW_REFRESH_THROTTLE_COOLDOWN_SECONDS: '600',
};
const WATCH_MS = 5 * 60_000;
/** Timer, workflow task and token request between a planned time and the provider's answer. */
const SLACK_MS = 3_000;

const inProcess = useInProcessService(() => clients.store, SHIPPED_TIMING);

describe('tokens that live shorter than the refresh margin are refreshed on a plan, not in a storm', () => {
  it(
    '2-minute, 20-second and 10-second tokens under the default 300 s margin, watched for 5 minutes',
    { timeout: WATCH_MS + 120_000 },
    async () => {
      const subjects = [
        { provider: 'lives_120s', lifetimeMs: 120_000 },
        { provider: 'lives_20s', lifetimeMs: 20_000 },
        { provider: 'lives_10s', lifetimeMs: 10_000 },
      ];
      const watched = await Promise.all(
        subjects.map(async (s) => {
          const id = await connectInBrowser(inProcess.rivery, clients.browser, s.provider);
          const doc = (await clients.store.connections.findOne({ _id: id }))!;
          return {
            ...s,
            id,
            connectedAt: doc.lastAuthorizedAt.getTime(),
            before: await providerControl(s.provider).refreshCalls(),
            seen: [] as number[],
            lapsed: 0,
            inactive: 0,
          };
        }),
      );
      const started = Date.now();
      const sample = async () => {
        for (const w of watched) {
          const doc = (await clients.store.connections.findOne({ _id: w.id }))!;
          if (doc.status !== 'active') w.inactive++;
          const at = doc.lastRefreshedAt?.getTime();
          if (at !== undefined && at !== w.seen.at(-1)) w.seen.push(at);
          if (!doc.tokenExpiresAt || doc.tokenExpiresAt.getTime() <= Date.now()) w.lapsed++;
        }
      };
      await waitUntil(
        '5 minutes of refreshes',
        async () => (await sample(), Date.now() - started >= WATCH_MS),
        WATCH_MS + 30_000,
      );

      for (const w of watched) {
        const calls = (await providerControl(w.provider).refreshCalls()) - w.before;
        // A refresh the provider just answered is in MongoDB a moment later.
        await waitUntil('the last refresh to be stored', async () => (await sample(), w.seen.length >= calls), 10_000);
        const horizonMs = Date.now() - w.connectedAt;
        // What the plan predicts, at either end of the jitter.
        const fewest = simulateRefreshes(w.lifetimeMs, inProcess.service.timing, horizonMs - SLACK_MS, 1).length;
        const most = simulateRefreshes(w.lifetimeMs, inProcess.service.timing, horizonMs, 0).length;
        const gaps = [w.connectedAt, ...w.seen].slice(1).map((at, i) => at - [w.connectedAt, ...w.seen][i]!);
        console.log(
          `${w.provider}: ${calls} refreshes in ${Math.round(horizonMs / 1000)} s (plan: ${fewest}-${most}); gaps ${gaps.map((g) => (g / 1000).toFixed(1)).join(', ')} s`,
        );
        expect(w.inactive).toBe(0);
        expect(calls).toBe(w.seen.length); // every refresh the provider saw is one the plan made
        expect(calls).toBeGreaterThanOrEqual(fewest);
        expect(calls).toBeLessThanOrEqual(most);
        const shortest = w.lifetimeMs >= 40_000 ? (w.lifetimeMs * 3) / 4 - 15_000 : 30_000;
        // lastRefreshedAt is written after the token response; the plan counts from the request's start.
        for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(shortest - 1_000);
      }
      // The 2-minute token is refreshed before it lapses; the shorter ones lapse between refreshes by
      // design (the minimum interval), and are still usable: a read refreshes a lapsed token first.
      expect(watched[0]!.lapsed).toBe(0);
      for (const w of watched) {
        const read = await inProcess.rivery.getConnection(w.id, '?include_credentials=true');
        expect(read.status).toBe(200);
        expect(await providerControl(w.provider).introspect(read.body.credentials.access_token)).toBe(true);
        expect((await storedCredentials(clients.store, w.id))!.access_token).toBe(read.body.credentials.access_token);
      }
      // Lifetimes below the minimum interval are said once per connection, however many refreshes.
      const floored = async (id: string) =>
        clients.store.events.countDocuments({ connectionId: id, type: 'connection.token_lifetime_floored' });
      expect(await floored(watched[0]!.id)).toBe(0);
      expect(await floored(watched[1]!.id)).toBe(1);
      expect(await floored(watched[2]!.id)).toBe(1);
    },
  );
});
