import { describe, expect, it } from 'vitest';
import { refreshUpdate } from '../workflows/connectionMessages.js';
import { REFRESH_AUDIT_SCHEDULE_ID } from '../lib/temporal/ensureRefreshAuditSchedule.js';
import { ConnectionStatusAttribute, connectionWorkflowId } from '../lib/temporal/names.js';
import { authorizeInBrowser } from './support/browser.js';
import { connectInBrowser, storedCredentials } from './support/connectInBrowser.js';
import { providerControl } from './support/providerControl.js';
import { stack, testTiming } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

const refresh = (id: string) => clients.rivery.request('POST', `/api/connections/${id}/refresh`);

describe('refresh on demand, needs_reauth, reauthorize, delete, audit', () => {
  it('100 concurrent refresh requests make exactly 1 token-endpoint call and all get the same new token', async () => {
    const provider = providerControl('coalesce');
    const id = await connectInBrowser(clients.rivery, clients.browser, 'coalesce');
    const old = (await storedCredentials(clients.store, id))!;
    const before = await provider.refreshCalls();

    const answers = await Promise.all(Array.from({ length: 100 }, () => refresh(id)));
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
    const tokens = new Set(answers.map((a) => a.body.credentials.access_token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(old.access_token)).toBe(false);
    expect((await provider.refreshCalls()) - before).toBe(1);
    console.log(
      `coalescing: 100 concurrent refresh requests -> ${(await provider.refreshCalls()) - before} token-endpoint call`,
    );
    // One more right after, inside the coalescing window: the token just refreshed, no new call.
    const after = await refresh(id);
    expect(after.status).toBe(200);
    expect(after.body.credentials.access_token).toBe([...tokens][0]);
    expect((await provider.refreshCalls()) - before).toBe(1);
  });

  it('concurrent refresh updates that reach the workflow (as from several API processes) share one token-endpoint call', async () => {
    const provider = providerControl('coalesce');
    const id = await connectInBrowser(clients.rivery, clients.browser, 'coalesce');
    const before = await provider.refreshCalls();
    const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(id));
    // Ten: Temporal admits at most 10 in-flight updates per workflow (history.maxInFlightUpdates); more
    // are refused and retried by the client with backoff, and a retry landing after the coalescing window
    // is a new refresh by design. Each API process sends one at a time (its own singleflight).
    const snapshots = await Promise.all(Array.from({ length: 10 }, () => handle.executeUpdate(refreshUpdate)));
    expect(new Set(snapshots.map((s) => s.lastRefreshedAt)).size).toBe(1);
    expect(snapshots[0]).toMatchObject({ status: 'active', lastRefreshedAt: expect.any(String) });
    expect((await provider.refreshCalls()) - before).toBe(1);
  });

  it('invalid_grant marks needs_reauth after one call, keeps the credentials, and reauthorizing makes it active again', async () => {
    const provider = providerControl('faulty');
    const id = await connectInBrowser(clients.rivery, clients.browser, 'faulty');
    const kept = (await storedCredentials(clients.store, id))!;
    const before = await provider.refreshCalls();
    await provider.setFault({ error: 'invalid_grant' });
    try {
      const refused = await refresh(id);
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'needs_reauth' });
      // No retry storm, and the same answer every time: refused without calling the provider.
      for (let i = 0; i < 3; i++) {
        const again = await refresh(id);
        expect(again.status).toBe(409);
        expect(again.body).toMatchObject({ error: 'needs_reauth', message: expect.stringContaining('reauthorize') });
      }
    } finally {
      await provider.setFault(null);
    }
    expect((await provider.refreshCalls()) - before).toBe(1);
    expect((await clients.rivery.getConnection(id)).body.status).toBe('needs_reauth');
    expect(await storedCredentials(clients.store, id)).toEqual(kept);
    expect(await clients.store.events.findOne({ connectionId: id, type: 'connection.needs_reauth' })).toMatchObject({
      details: { error: 'invalid_grant' },
    });
    const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(id));
    expect((await handle.describe()).typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('needs_reauth');

    const reauth = await clients.rivery.request('POST', `/api/connections/${id}/reauthorize`, {
      validity_duration: 600,
    });
    expect(reauth.status).toBe(200);
    const landing = await authorizeInBrowser(clients.browser, reauth.body.auth_uri);
    expect(landing.result).toMatchObject({ connected: true, connection_id: id });
    expect((await clients.rivery.getConnection(id)).body.status).toBe('active');
    const credentials = await clients.rivery.getCredentials({ pull_id: reauth.body.pull_id });
    expect(credentials.status).toBe(200);
    expect(credentials.body.connection_id).toBe(id);
    expect(credentials.body.access_token).not.toBe(kept.access_token);
    expect((await refresh(id)).status).toBe(200);
    expect(
      (await clients.rivery.listConnections()).body.items.filter((c: { _id: string }) => c._id === id),
    ).toHaveLength(1);
  });

  it('a token endpoint answering 503 for 20 s is retried within the backoff schedule, then the refresh succeeds', async () => {
    const provider = providerControl('backoff');
    const id = await connectInBrowser(clients.rivery, clients.browser, 'backoff');
    const before = await provider.refreshCalls();
    await provider.setFault({ status: 503 });
    const faultStarted = Date.now();
    const pending = refresh(id);
    let faultMs: number;
    try {
      await waitUntil('20 s of 503s', async () => Date.now() - faultStarted >= 20_000, 30_000);
    } finally {
      await provider.setFault(null);
      faultMs = Date.now() - faultStarted;
    }
    const answer = await pending;
    expect(answer.status).toBe(200);
    const calls = (await provider.refreshCalls()) - before;
    // Attempts start at 0, 1, 3, 7, 11, ... s (1 s doubling, capped at 4 s): those inside the fault, plus the one that succeeds.
    const schedule: number[] = [];
    for (
      let t = 0, delay = testTiming.retryInitialSeconds;
      t * 1000 <= faultMs;
      t += delay, delay = Math.min(delay * 2, testTiming.retryMaxSeconds)
    ) {
      schedule.push(t);
    }
    console.log(
      `backoff: ${calls} token calls for a ${(faultMs / 1000).toFixed(1)} s outage (schedule allows ${schedule.length} + 1)`,
    );
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(calls).toBeLessThanOrEqual(schedule.length + 1);
    expect((await clients.rivery.getConnection(id)).body.status).toBe('active');
  });

  it('delete revokes the tokens at the provider, removes the connection and ends its workflow', async () => {
    const provider = providerControl('demo');
    const id = await connectInBrowser(clients.rivery, clients.browser, 'demo');
    const credentials = (await storedCredentials(clients.store, id))!;
    expect(await provider.introspect(credentials.access_token)).toBe(true);

    const deleted = await clients.rivery.request('DELETE', `/api/connections/${id}`);
    expect(deleted.status).toBe(204);
    expect(await provider.introspect(credentials.access_token)).toBe(false);
    expect(await provider.introspect(credentials.refresh_token!)).toBe(false);
    expect(await clients.store.connections.findOne({ _id: id })).toBeNull();
    expect((await clients.rivery.getConnection(id)).status).toBe(404);
    const workflow = await clients.temporal.workflow.getHandle(connectionWorkflowId(id)).describe();
    expect(workflow.status.name).toBe('COMPLETED');
    expect(workflow.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('deleted');
    expect((await clients.rivery.request('DELETE', `/api/connections/${id}`)).status).toBe(404);
  });

  it('the refresh-audit schedule restarts the workflow of a connection an operator terminated', async () => {
    const id = await connectInBrowser(clients.rivery, clients.browser, 'demo');
    const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(id));
    const { runId } = await handle.describe();
    await handle.terminate('operator test');
    expect((await handle.describe()).status.name).toBe('TERMINATED');

    const audit = clients.temporal.schedule.getHandle(REFRESH_AUDIT_SCHEDULE_ID);
    await audit.trigger();
    const restarted = await waitUntil('the workflow to run again', async () => {
      const now = await clients.temporal.workflow.getHandle(connectionWorkflowId(id)).describe();
      return now.status.name === 'RUNNING' && now.runId !== runId ? now : undefined;
    });
    expect(restarted.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('active');
    expect((await refresh(id)).status).toBe(200);
  });

  it('an operator finds the connection by ConnectionId and ConnectionStatus in the Temporal UI', async () => {
    const id = await connectInBrowser(clients.rivery, clients.browser, 'demo');
    const page = await clients.browser.newPage();
    try {
      const query = encodeURIComponent(`ConnectionId="${id}" AND ConnectionStatus="active"`);
      await page.goto(`${stack.temporalUiUrl}/namespaces/${stack.temporalNamespace}/workflows?query=${query}`);
      const row = page.getByRole('link', { name: connectionWorkflowId(id) });
      await row.waitFor({ timeout: 30_000 });
      await expect(page.getByText('1 Workflow', { exact: true }).count()).resolves.toBe(1);
    } finally {
      await page.close();
    }
  });
});
