import type { WorkflowExecutionInfo } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { ConnectionStatusAttribute, connectionWorkflowId } from '../lib/temporal/names.js';
import { refreshLeadMs } from '../workflows/planRefresh.js';
import { connectInBrowser, storedCredentials } from './support/connectInBrowser.js';
import { providerControl } from './support/providerControl.js';
import { stack } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

/**
 * Watches a connection with 5-second access tokens through 3 refreshes: the stored access token
 * never lapses, each refresh is a new run (continueAsNew), and the refresh tokens seen are returned.
 */
async function watchThreeRefreshes(connectionId: string) {
  const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(connectionId));
  const accessTokens = new Set<string>();
  const refreshTokens: string[] = [];
  const runIds = new Set<string>();
  let lapsed = 0;
  await waitUntil(
    '3 refreshes',
    async () => {
      const doc = await clients.store.connections.findOne({ _id: connectionId });
      const credentials = await storedCredentials(clients.store, connectionId);
      if (!doc || !credentials) return false;
      if (!doc.tokenExpiresAt || doc.tokenExpiresAt.getTime() <= Date.now()) lapsed++;
      if (!accessTokens.has(credentials.access_token)) {
        accessTokens.add(credentials.access_token);
        refreshTokens.push(credentials.refresh_token!);
      }
      runIds.add((await handle.describe()).runId);
      return accessTokens.size >= 4;
    },
    60_000,
  );
  return { lapsed, accessTokens, refreshTokens, runIds, handle };
}

describe('a connection is kept fresh for as long as it exists', () => {
  it('5-second tokens stay valid across 3 refreshes, one run per refresh, rotating refresh tokens replaced', async () => {
    const provider = providerControl('short_rotating');
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_rotating');
    const { lapsed, refreshTokens, runIds } = await watchThreeRefreshes(connectionId);
    expect(lapsed).toBe(0);
    expect(runIds.size).toBeGreaterThanOrEqual(3);
    expect(new Set(refreshTokens).size).toBe(refreshTokens.length); // a new one each time
    const current = (await storedCredentials(clients.store, connectionId))!;
    expect(await provider.introspect(current.access_token)).toBe(true);
    expect(await provider.introspect(current.refresh_token!)).toBe(true);
    expect(await provider.introspect(refreshTokens[0]!)).toBe(false); // rotated away at the provider

    // A run that only refreshed (started by continueAsNew, ended by the next one) stays small.
    const runs: WorkflowExecutionInfo[] = [];
    for await (const run of clients.temporal.workflow.list({
      query: `WorkflowId = '${connectionWorkflowId(connectionId)}' AND ExecutionStatus = 'ContinuedAsNew'`,
    })) {
      runs.push(run);
    }
    const refreshOnly = runs.find((r) => r.runId !== runs.at(-1)?.runId) ?? runs[0]!;
    const history = await clients.temporal.workflow.getHandle(refreshOnly.workflowId, refreshOnly.runId).fetchHistory();
    console.log(`one refresh run: ${history.events?.length} history events`);
    expect(history.events!.length).toBeLessThan(30);
    // ...and writes no search attributes (each upsert is a visibility write): status and version ride along with the run.
    expect(history.events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length).toBe(0);
    // The status stays searchable across runs (carried over by continueAsNew, not upserted each run).
    for (const run of runs) expect(run.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('active');
  });

  it('include_credentials hands out an access token that is not yet due for a refresh', async () => {
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_fixed');
    const leadMs = refreshLeadMs(5_000, stack.timing); // the demo provider's 5-second tokens
    for (let i = 0; i < 6; i++) {
      const asked = Date.now();
      const res = await clients.rivery.getConnection(connectionId, '?include_credentials=true');
      expect(res.status).toBe(200);
      expect(res.body.credentials.access_token).toEqual(expect.any(String));
      expect(Date.parse(res.body.tokenExpiresAt) - asked).toBeGreaterThanOrEqual(leadMs);
      await waitUntil('the token to age a second', async () => Date.now() - asked >= 1_000);
    }
  });

  it('a provider that does not rotate keeps the same refresh token', async () => {
    const provider = providerControl('short_fixed');
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_fixed');
    const { lapsed, refreshTokens } = await watchThreeRefreshes(connectionId);
    expect(lapsed).toBe(0);
    expect(new Set(refreshTokens).size).toBe(1);
    expect(await provider.introspect(refreshTokens[0]!)).toBe(true);
  });

  it('an access token without expires_in is refreshed before its 20-second refresh token lapses, and still works after 60 s', async () => {
    const provider = providerControl('no_expiry');
    const before = await provider.refreshCalls();
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'no_expiry');
    const started = Date.now();
    const first = await clients.store.connections.findOne({ _id: connectionId });
    expect(first).toMatchObject({ tokenExpiresAt: null });
    expect(first!.refreshTokenExpiresAt!.getTime() - started).toBeGreaterThan(15_000);

    await waitUntil("60 seconds of a connection's life", async () => Date.now() - started > 60_000, 90_000);
    const doc = (await clients.store.connections.findOne({ _id: connectionId }))!;
    const current = (await storedCredentials(clients.store, connectionId))!;
    expect(doc.refreshTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await provider.introspect(current.refresh_token!)).toBe(true);
    expect((await provider.refreshCalls()) - before).toBeGreaterThanOrEqual(2);
    const refreshed = await clients.rivery.request('POST', `/api/connections/${connectionId}/refresh`);
    expect(refreshed.status).toBe(200);
  });
});
