import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PauseStep } from '../activities/pauseForTest.js';
import { parseKeyRing } from '../lib/crypto/keyRing.js';
import { createApiToken } from '../lib/store/apiTokens.js';
import { openStore, type Store } from '../lib/store/openStore.js';
import { readCredentials } from '../lib/store/readCredentials.js';
import { connectTemporalClient } from '../lib/temporal/connectTemporalClient.js';
import { connectionWorkflowId } from '../lib/temporal/names.js';
import type { ManagedChild } from '../scripts/dev/servers/childProcess.js';
import { startStack, type Stack } from '../scripts/dev/stack/startStack.js';
import { launchBrowser } from './support/browser.js';
import { captureCallback } from './support/captureCallback.js';
import { engine, itEngineIndependent } from './support/engine.js';
import { RiveryClient } from './support/RiveryClient.js';
import { TEST_KEYS } from './support/globalSetup.js';
import { waitUntil } from './support/waitUntil.js';

/**
 * Kills real processes (kill -9 of workers and APIs, Temporal and FerretDB stopped and restarted) on a
 * stack of its own, so nothing else in the suite is disturbed. Activity attempts time out after 6 s here,
 * so work a dead worker held is retried by another within seconds. On postgres (the Temporal server's
 * services and FerretDB on PostgreSQL) run the faults the servers take part in: Temporal and FerretDB
 * restarted, a worker killed while Temporal holds its task; the rest is our code alike on both engines.
 */
const ACTIVITY_TIMEOUT_S = 6;
let stack: Stack;
let dataDir: string;
let pauseDir: string;
let store: Store;
let temporal: Client;
let browser: Browser;
let token: string;
const workers: ManagedChild[] = [];
const observed: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'connectflow-faults-'));
  pauseDir = join(dataDir, 'pause');
  mkdirSync(pauseDir);
  stack = await startStack({
    dataDir,
    ports: 'free',
    logsToFiles: true,
    engine,
    dropDatabasesOnStop: !process.env.CONNECTFLOW_KEEP_TEST_DATA,
    log: () => undefined,
    env: {
      NODE_ENV: 'test',
      CONNECTFLOW_ENCRYPTION_KEYS: TEST_KEYS,
      CONNECTFLOW_TEST_PAUSE_DIR: pauseDir,
      CONNECTFLOW_ACTIVITY_TIMEOUT_SECONDS: String(ACTIVITY_TIMEOUT_S),
      CONNECTFLOW_REFRESH_MARGIN_SECONDS: '3',
      // 10-second tokens for minutes on end: the throttle's default (10 planned refreshes in 10 minutes) would pause them.
      CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '1',
      CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '1000',
      CONNECTFLOW_REFRESH_JITTER_SECONDS: '0.5',
      CONNECTFLOW_REFRESH_RETRY_INITIAL_SECONDS: '1',
      CONNECTFLOW_REFRESH_RETRY_MAX_SECONDS: '4',
      CONNECTFLOW_REFRESH_COALESCE_SECONDS: '1',
      CONNECTFLOW_CALLBACK_RATE_LIMIT: '100000',
    },
    extraProviders: [{ id: 'short', options: { accessTokenTtlSeconds: 10, rotateRefreshToken: true } }],
  });
  workers.push(stack.worker, stack.startWorker('worker-2'));
  await Promise.all(workers.map((w) => stack.workerPolling(w)));
  store = await openStore({ MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: 'connectflow' });
  temporal = await connectTemporalClient(
    { TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.temporalNamespace },
    parseKeyRing(TEST_KEYS),
  );
  browser = await launchBrowser();
  token = (
    await createApiToken(store, { accountId: 'faults', scopes: ['connection:read', 'connection:edit'], name: 'faults' })
  ).token;
}, 180_000);

// The servers' logs of a failed run are kept: the faults are timing-dependent and seldom come back on demand.
let failed = false;
afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  console.log(`fault injection:\n  ${observed.join('\n  ')}`);
  await browser?.close();
  await temporal?.connection.close();
  await store?.close();
  await stack?.stop();
  if (failed) console.log(`fault tolerance (${engine}): a test failed, logs kept in ${dataDir}/logs`);
  else if (dataDir && !process.env.CONNECTFLOW_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
});

const api = (url = stack.apiUrl) => new RiveryClient(url, token);
const callbackPrefix = () => `${stack.apiUrl}/oauth2/callback`;
const codeExchanges = () => stack.providers.get('demo')!.counts.tokenByGrant.authorization_code ?? 0;

function pause(step: PauseStep) {
  writeFileSync(join(pauseDir, step), '');
}
function release(step: PauseStep) {
  if (existsSync(join(pauseDir, step))) unlinkSync(join(pauseDir, step));
  if (existsSync(join(pauseDir, `${step}.reached`))) unlinkSync(join(pauseDir, `${step}.reached`));
}
/** Waits for an activity to stop at the step, kill -9s the worker process it runs in, starts another. */
async function killWorkerAt(step: PauseStep): Promise<{ subject: string }> {
  const [pid, subject] = await waitUntil(`an activity to reach ${step}`, async () => {
    const file = join(pauseDir, `${step}.reached`);
    // Not written atomically: for a moment the file exists empty.
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
    return lines[0] ? lines : undefined;
  });
  const victim = workers.find((w) => w.pid === Number(pid));
  expect(victim, `worker with pid ${pid}`).toBeDefined();
  await victim!.kill9();
  workers.splice(workers.indexOf(victim!), 1);
  release(step);
  workers.push(stack.startWorker(`worker-${Date.now()}`));
  return { subject: subject ?? '' };
}

async function deliver(callback: URL, base = stack.apiUrl): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${callback.pathname}${callback.search}`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: await res.json() };
}

/** The final answer of a flow's credentials, once it has one (never stuck: bounded wait). */
async function finalCredentials(pullId: string, url = stack.apiUrl) {
  return waitUntil(
    'the flow to finish',
    async () => {
      const res = await api(url).getCredentials({ pull_id: pullId });
      return res.status === 202 ? undefined : res;
    },
    90_000,
  );
}

describe('fault tolerance', () => {
  itEngineIndependent(
    'two APIs and two workers: a flow started on one API completes through a callback on the other; flows run on both workers',
    async () => {
      const second = await stack.startApi('api-2');
      const identities = new Set<string>();
      // Six flows cross the APIs; more follow (at most 24) until both workers have run flows, since
      // which poller the server hands a task to is not ours to choose.
      let flows = 0;
      while (flows < 6 || (identities.size < 2 && flows < 24)) {
        const created = (await api().newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
        const callback = await captureCallback(browser, created.auth_uri, callbackPrefix());
        const outcome = await deliver(callback, second.url);
        expect(outcome).toMatchObject({ status: 200, body: { connected: true } });
        expect((await api(second.url).getCredentials({ pull_id: created.pull_id })).status).toBe(200);
        const history = await temporal.workflow
          .getHandle(connectionWorkflowId(outcome.body.connection_id))
          .fetchHistory();
        // Activities run as local activities, inside the workflow task of the worker that completed it.
        for (const event of history.events ?? []) {
          const identity = event.workflowTaskCompletedEventAttributes?.identity;
          if (identity) identities.add(identity);
        }
        flows++;
      }
      observed.push(
        `2 APIs + 2 workers: ${flows}/${flows} flows completed across APIs; workflow tasks (with their activities) ran on ${identities.size} workers`,
      );
      const pids = [...identities].map((identity) => Number(identity.split('@')[0])).sort();
      expect(pids).toEqual(workers.map((w) => w.pid).sort());
    },
    240_000,
  );

  // On postgres: a workflow task the dead worker had cached, and an activity attempt Temporal must time out.
  const killedWorkerOnPostgres = ['waiting for the callback', 'exchange:before-send'];
  it.for<[PauseStep | 'waiting for the callback', 'active' | 'failed']>([
    ['authorize:after-insert', 'active'],
    ['waiting for the callback', 'active'],
    ['exchange:before-send', 'active'],
    ['exchange:after-response', 'failed'],
    ['save:before-complete', 'active'],
  ])(
    'kill -9 of the worker at %s: the flow ends %s, no duplicate, the code sent at most once',
    { timeout: 120_000 },
    async ([step, expected], { skip }) => {
      if (engine === 'postgres' && !killedWorkerOnPostgres.includes(step)) skip();
      const exchangesBefore = codeExchanges();
      const paused = step !== 'waiting for the callback' ? step : undefined;
      if (paused) pause(paused);
      const creating = api().newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
      if (step === 'authorize:after-insert') await killWorkerAt(step);
      const created = (await creating).body;
      expect(created.auth_uri).toEqual(expect.any(String));
      const callback = await captureCallback(browser, created.auth_uri, callbackPrefix());
      if (step === 'waiting for the callback') {
        const victim = workers.shift()!;
        await victim.kill9();
        workers.push(stack.startWorker(`worker-${Date.now()}`));
      }
      const delivering = deliver(callback);
      if (paused && paused !== 'authorize:after-insert') await killWorkerAt(paused);
      await delivering;

      const result = await finalCredentials(created.pull_id);
      const connectionId = (await store.oauthRequests.findOne({ accountId: 'faults' }, { sort: { createdAt: -1 } }))!
        .connectionId;
      const exchanges = codeExchanges() - exchangesBefore;
      observed.push(
        `kill -9 worker at ${step}: credentials ${result.status} ${result.body.error ?? 'connected'}; code exchanges ${exchanges}; connections ${await store.connections.countDocuments({ _id: connectionId })}`,
      );
      expect(exchanges).toBeLessThanOrEqual(1);
      if (expected === 'active') {
        expect(result.status).toBe(200);
        expect(await store.connections.countDocuments({ _id: connectionId })).toBe(1);
        expect((await store.connections.findOne({ _id: connectionId }))!.status).toBe('active');
      } else {
        expect(result.status).toBe(422);
        expect(result.body).toMatchObject({
          error: 'exchange_interrupted',
          message: expect.stringContaining('authorize again'),
        });
        expect(await store.connections.countDocuments({ _id: connectionId })).toBe(0);
      }
    },
  );

  itEngineIndependent(
    'kill -9 of a worker right after a refresh wrote its rotated tokens: nothing is lost, the connection stays active',
    async () => {
      const created = (await api().newOAuth2Request({ datasource_id: 'short', validity_duration: 600 })).body;
      const outcome = await deliver(await captureCallback(browser, created.auth_uri, callbackPrefix()));
      const id: string = outcome.body.connection_id;
      pause('refresh:after-write');
      const { subject } = await killWorkerAt('refresh:after-write'); // the planned refresh comes after ~7 s
      expect(subject).toBe(id);
      const keyRing = parseKeyRing(TEST_KEYS);
      const written = readCredentials(keyRing, (await store.connections.findOne({ _id: id }))!);
      const provider = stack.providers.get('short')!;
      // The retry (on another worker) refreshes again with the refresh token that was written.
      await waitUntil(
        'the retried refresh',
        async () => {
          const now = readCredentials(keyRing, (await store.connections.findOne({ _id: id }))!);
          return now.refresh_token !== written.refresh_token;
        },
        60_000,
      );
      const doc = (await store.connections.findOne({ _id: id }))!;
      const current = readCredentials(keyRing, doc);
      expect(doc.status).toBe('active');
      expect((await provider.introspect(current.refresh_token!)).active).toBe(true);
      expect((await api().request('POST', `/api/connections/${id}/refresh`)).status).toBe(200);
      observed.push(
        'kill -9 worker after a refresh wrote rotated tokens: stayed active, the written refresh token was used by the retry',
      );
    },
    120_000,
  );

  itEngineIndependent(
    'kill -9 between the provider rotating the refresh token and the write (the one window left): needs_reauth, old credentials kept, an event',
    async () => {
      const created = (await api().newOAuth2Request({ datasource_id: 'short', validity_duration: 600 })).body;
      const id: string = (await deliver(await captureCallback(browser, created.auth_uri, callbackPrefix()))).body
        .connection_id;
      const keyRing = parseKeyRing(TEST_KEYS);
      expect(id).toEqual(expect.any(String));
      // Every connection of this provider refreshes every few seconds: note them all, see which one stops.
      const before = new Map(
        (await store.connections.find({ provider: 'short', status: 'active' }).toArray()).map((d) => [
          d._id,
          readCredentials(keyRing, d),
        ]),
      );
      pause('refresh:after-response');
      const { subject } = await killWorkerAt('refresh:after-response');
      expect(before.has(subject)).toBe(true);
      // The provider rotated the refresh token, the new one died with the worker: the retry presents the
      // old one, which the provider refuses. The connection says so instead of failing silently.
      // (The activity writes the event, then the status: wait for both.)
      const { doc, event } = await waitUntil(
        'the retried refresh to be refused, and its event',
        async () => {
          const now = await store.connections.findOne({ _id: subject });
          const recorded = await store.events.findOne({ connectionId: subject, type: 'connection.needs_reauth' });
          return now?.status === 'needs_reauth' && recorded ? { doc: now, event: recorded } : undefined;
        },
        60_000,
      );
      expect(readCredentials(keyRing, doc)).toEqual(before.get(subject));
      expect(event).toMatchObject({ details: { error: 'invalid_grant' } });
      observed.push(
        'kill -9 worker after the provider rotated but before the write: needs_reauth (invalid_grant on retry), credentials kept, event recorded',
      );
    },
    120_000,
  );

  itEngineIndependent(
    'kill -9 of an API between POST /api/oauth2 and the callback: the other API serves the callback and the credentials',
    async () => {
      const doomed = await stack.startApi('api-doomed');
      const created = (await api(doomed.url).newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
      await doomed.child.kill9();
      const outcome = await deliver(await captureCallback(browser, created.auth_uri, callbackPrefix()));
      expect(outcome).toMatchObject({ status: 200, body: { connected: true } });
      expect((await api().getCredentials({ pull_id: created.pull_id })).status).toBe(200);
      observed.push('kill -9 API after POST /api/oauth2: callback and credentials served by the other API');
    },
    120_000,
  );

  it('Temporal restarted on the same data mid-flow: API and workers reconnect and the flow completes', async () => {
    const created = (await api().newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
    const callback = await captureCallback(browser, created.auth_uri, callbackPrefix());
    const exchangesBefore = codeExchanges();
    await stack.temporal.stop();
    const whileDown = await api().newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
    expect(whileDown.status).toBe(503);
    expect(whileDown.body).toMatchObject({
      error: 'service_unavailable',
      message: expect.stringContaining('Temporal'),
    });
    // The browser arrives while Temporal is away: told to reload; only that same redirect may come again.
    const askedAt = Date.now();
    expect(await deliver(callback)).toMatchObject({
      status: 503,
      body: { connected: false, error: 'temporarily_unavailable' },
    });
    expect(Date.now() - askedAt).toBeLessThan(10_000); // told promptly, not after the client's retries run out
    const forged = new URL(callback);
    forged.searchParams.set('code', 'not-the-code-the-provider-sent');
    expect(await deliver(forged)).toMatchObject({ status: 409, body: { error: 'already_used' } });
    await stack.temporal.start();
    const outcome = await waitUntil('the reloaded callback to be answered after the restart', async () => {
      const res = await deliver(callback);
      return res.status === 503 ? undefined : res;
    });
    expect(outcome).toMatchObject({ status: 200, body: { connected: true } });
    expect(codeExchanges()).toBe(exchangesBefore + 1);
    // Reloading once more shows the same outcome and sends nothing to the provider.
    expect(await deliver(callback)).toMatchObject({
      status: 200,
      body: { connected: true, connection_id: outcome.body.connection_id },
    });
    const after = (await api().newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
    expect((await deliver(await captureCallback(browser, after.auth_uri, callbackPrefix()))).status).toBe(200);
    observed.push(
      'Temporal stopped and restarted: POST /api/oauth2 and the callback answered 503 while down; the reloaded callback and a new flow completed after, one code exchange',
    );
  }, 180_000);

  it('FerretDB stopped for 30 s: the API answers 503 JSON, refreshes that came due happen after it returns, nothing is lost', async () => {
    const created = (await api().newOAuth2Request({ datasource_id: 'short', validity_duration: 600 })).body;
    const id: string = (await deliver(await captureCallback(browser, created.auth_uri, callbackPrefix()))).body
      .connection_id;
    await stack.mongo.stop();
    const stoppedAt = Date.now();
    const started = Date.now();
    const whileDown = await api().listConnections();
    expect(whileDown.status).toBe(503);
    expect(whileDown.body).toMatchObject({ error: 'service_unavailable', message: expect.stringContaining('MongoDB') });
    expect(Date.now() - started).toBeLessThan(10_000);
    await waitUntil('30 s of database outage', async () => Date.now() - stoppedAt >= 30_000, 40_000);
    await stack.mongo.start();
    const refreshed = await waitUntil(
      'a refresh after the outage',
      async () => {
        const doc = await store.connections.findOne({ _id: id });
        return doc && doc.lastRefreshedAt && doc.lastRefreshedAt.getTime() > stoppedAt + 30_000 ? doc : undefined;
      },
      60_000,
    );
    expect(refreshed.status).toBe('active');
    expect((await api().getConnection(id)).status).toBe(200);
    observed.push(
      'FerretDB down 30 s: API 503 JSON within seconds; the refresh due meanwhile ran after it returned; connection active',
    );
  }, 180_000);

  itEngineIndependent(
    'the provider refusing connections, then answering 503, for 2 minutes: the connection stays active and catches up',
    async () => {
      const created = (await api().newOAuth2Request({ datasource_id: 'short', validity_duration: 600 })).body;
      const id: string = (await deliver(await captureCallback(browser, created.auth_uri, callbackPrefix()))).body
        .connection_id;
      const provider = stack.providers.get('short')!;
      const outageStart = Date.now();
      const statuses = new Set<string>();
      await provider.setReachable(false);
      try {
        await waitUntil(
          '60 s of connection refused',
          async () => {
            statuses.add((await store.connections.findOne({ _id: id }))!.status);
            return Date.now() - outageStart >= 60_000;
          },
          70_000,
        );
      } finally {
        await provider.setReachable(true);
      }
      provider.setTokenEndpointFault({ status: 503 });
      try {
        await waitUntil(
          '60 s of 503',
          async () => {
            statuses.add((await store.connections.findOne({ _id: id }))!.status);
            return Date.now() - outageStart >= 120_000;
          },
          70_000,
        );
      } finally {
        provider.setTokenEndpointFault(null);
      }
      expect([...statuses]).toEqual(['active']);
      const caughtUp = await waitUntil(
        'a refresh after the outage',
        async () => {
          const doc = await store.connections.findOne({ _id: id });
          return doc?.lastRefreshedAt && doc.lastRefreshedAt.getTime() > outageStart + 120_000 ? doc : undefined;
        },
        30_000,
      );
      expect(caughtUp.status).toBe('active');
      expect(caughtUp.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
      observed.push('provider refused connections 60 s then 503 for 60 s: stayed active throughout, refreshed after');
    },
    240_000,
  );

  itEngineIndependent(
    'SIGTERM: an API drains the request in flight; a worker finishes its activity before it exits',
    async () => {
      const extra = await stack.startApi('api-draining');
      const created = (await api(extra.url).newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
      const callback = await captureCallback(browser, created.auth_uri, callbackPrefix());
      pause('exchange:before-send');
      const inFlight = deliver(callback, extra.url);
      const pid = await waitUntil('the exchange to start', async () => {
        const file = join(pauseDir, 'exchange:before-send.reached');
        return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
      });
      const apiStopping = extra.child.stop('SIGTERM', 30_000);
      const worker = workers.find((w) => w.pid === pid)!;
      const workerStopping = worker.stop('SIGTERM', 30_000);
      release('exchange:before-send');
      const outcome = await inFlight;
      expect(outcome).toMatchObject({ status: 200, body: { connected: true } });
      await Promise.all([apiStopping, workerStopping]);
      expect(await extra.child.exited).toBe(0);
      expect(await worker.exited).toBe(0);
      workers.splice(workers.indexOf(worker), 1);
      workers.push(stack.startWorker(`worker-${Date.now()}`));
      const exchanged = await store.oauthRequests.findOne(
        { _id: { $exists: true }, accountId: 'faults' },
        { sort: { createdAt: -1 } },
      );
      expect(exchanged?.status).toBe('completed');
      observed.push(
        'SIGTERM: the API answered its in-flight callback (200) and exited 0; the worker finished the exchange first',
      );
    },
    120_000,
  );
});
