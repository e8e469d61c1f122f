import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { ConnectionStatusAttribute, connectionWorkflowId } from '../lib/temporal/names.js';
import { refreshLeadMs } from '../workflows/planRefresh.js';
import { connectInBrowser, storedCredentials } from './support/connectInBrowser.js';
import { itEngineIndependent } from './support/engine.js';
import { providerControl } from './support/providerControl.js';
import { stack } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

/**
 * Watches a connection with 5-second access tokens through 3 refreshes: the stored access token
 * never lapses, and the refresh tokens seen are returned.
 */
async function watchThreeRefreshes(connectionId: string) {
  const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(connectionId));
  const accessTokens = new Set<string>();
  const refreshTokens: string[] = [];
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
      return accessTokens.size >= 4;
    },
    60_000,
  );
  return { lapsed, accessTokens, refreshTokens, handle };
}

/** The activity a local-activity marker records (the activities run as local activities), if it is one. */
function localActivityType(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads?.[0]?.data : undefined;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type : undefined;
}

describe('a connection is kept fresh for as long as it exists', () => {
  it('5-second tokens stay valid across 3 refreshes, rotating refresh tokens replaced', async () => {
    const provider = providerControl('short_rotating');
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_rotating');
    const { lapsed, refreshTokens } = await watchThreeRefreshes(connectionId);
    expect(lapsed).toBe(0);
    expect(new Set(refreshTokens).size).toBe(refreshTokens.length); // a new one each time
    const current = (await storedCredentials(clients.store, connectionId))!;
    expect(await provider.introspect(current.access_token)).toBe(true);
    expect(await provider.introspect(current.refresh_token!)).toBe(true);
    expect(await provider.introspect(refreshTokens[0]!)).toBe(false); // rotated away at the provider
  });

  it('one run holds CONNECTFLOW_REFRESHES_PER_RUN refreshes, then continues as new with the status carried over', async () => {
    const perRun = stack.timing.refreshesPerRun!;
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_fixed');
    const workflowId = connectionWorkflowId(connectionId);
    const closedRuns = async () => {
      const runs: WorkflowExecutionInfo[] = [];
      const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'ContinuedAsNew'`;
      for await (const run of clients.temporal.workflow.list({ query })) runs.push(run);
      return runs.length >= 2 ? runs : undefined;
    };
    const runs = await waitUntil(`two runs of ${perRun} refreshes`, closedRuns);
    for (const run of runs) {
      const history = await clients.temporal.workflow.getHandle(workflowId, run.runId).fetchHistory();
      const events = history.events!;
      const refreshes = events.filter((e) => localActivityType(e) === 'refreshTokens').length;
      expect(refreshes).toBe(perRun);
      // A run started by continueAsNew only refreshed: a dozen events a refresh, no search-attribute upserts.
      if (events[0]!.workflowExecutionStartedEventAttributes?.continuedExecutionRunId) {
        console.log(`a run of ${refreshes} refreshes: ${events.length} history events`);
        expect(events.length).toBeLessThan(refreshes * 15);
        expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length).toBe(0);
      }
      expect(run.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('active');
    }
    const current = await clients.temporal.workflow.getHandle(workflowId).describe();
    expect(current.status.name).toBe('RUNNING');
    expect(current.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('active');
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

  itEngineIndependent('a provider that does not rotate keeps the same refresh token', async () => {
    const provider = providerControl('short_fixed');
    const connectionId = await connectInBrowser(clients.rivery, clients.browser, 'short_fixed');
    const { lapsed, refreshTokens } = await watchThreeRefreshes(connectionId);
    expect(lapsed).toBe(0);
    expect(new Set(refreshTokens).size).toBe(1);
    expect(await provider.introspect(refreshTokens[0]!)).toBe(true);
  });

  itEngineIndependent(
    'an access token without expires_in is refreshed before its 20-second refresh token lapses, and still works after 60 s',
    async () => {
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
    },
  );
});
