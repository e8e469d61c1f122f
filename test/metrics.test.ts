import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusClass } from '../lib/metrics/proxyMetrics.js';
import { metricsRegistry } from '../lib/metrics/registry.js';
import { serveMetrics } from '../lib/metrics/serveMetrics.js';
import { createOperatorToken } from '../lib/store/apiTokens.js';
import { storeOn, type Store } from '../lib/store/openStore.js';
import { freePort } from '../scripts/dev/servers/freePort.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { startInProcessApi } from './support/inProcessApi.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, openTestStore, stack } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store?.close();
});

/** Prometheus text as `name{label="value",...}` → value (labels as the client writes them, in order). */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

/** The value of one series (0 while it does not exist yet). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const written = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return samples(text).get(written ? `${name}{${written}}` : name) ?? 0;
}

/** Every label value in the text. */
function labelValues(text: string): Set<string> {
  return new Set([...text.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));
}

const scrape = async (url: string) => {
  const answer = await fetch(url);
  expect(answer.status, url).toBe(200);
  expect(answer.headers.get('content-type')).toContain('text/plain');
  return answer.text();
};
const apiMetrics = () => scrape(`${stack.apiUrl}/metrics`);
const workerMetrics = () => scrape(stack.workerMetricsUrl);

/** A connection made the way an API client and its user make one (no browser: the provider's forms posted). */
async function connect(rivery: RiveryClient, provider: string): Promise<string> {
  const created = await rivery.newOAuth2Request({ datasource_id: provider, validity_duration: 600 });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const redirect = await authorizeByRedirects(created.body.auth_uri, `${stack.apiUrl}/oauth2/callback`);
  const landing = await fetch(redirect, { headers: { accept: 'application/json' } });
  const outcome = (await landing.json()) as { connected: boolean; connection_id: string };
  expect(outcome.connected).toBe(true);
  return outcome.connection_id;
}

describe('GET /metrics', () => {
  it('counts a real flow, its planned refreshes and a proxied call, with no id in any label', async () => {
    const provider = 'short_fixed'; // 5-second tokens: refreshed within seconds
    const refreshed = { provider, outcome: 'refreshed' };
    const [workerBefore, apiBefore] = [await workerMetrics(), await apiMetrics()];
    const account = await newAccount(store);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    const connectionId = await connect(rivery, provider);
    // Whatever the demo provider answers (it has no API of its own), the call is counted by its class.
    const proxied = await rivery.request('POST', `/api/connections/${connectionId}/request`, { url: '/me' });

    const movedIn = (text: string, name: string, labels: Record<string, string>) =>
      sample(text, name, labels) - sample(workerBefore, name, labels);
    const worker = await waitUntil(
      'a planned refresh counted by the worker',
      async () => {
        const text = await workerMetrics();
        return movedIn(text, 'connectflow_refresh_lag_seconds_count', { provider }) >= 1 && text;
      },
      30_000,
    );
    const moved = (name: string, labels: Record<string, string>) => movedIn(worker, name, labels);
    expect(moved('connectflow_refreshes_total', refreshed)).toBeGreaterThanOrEqual(1);
    expect(moved('connectflow_flows_started_total', { provider })).toBeGreaterThanOrEqual(1);
    expect(moved('connectflow_flows_ended_total', { provider, outcome: 'connected' })).toBeGreaterThanOrEqual(1);
    expect(moved('connectflow_refresh_lag_seconds_count', { provider })).toBeGreaterThanOrEqual(1);
    // A planned refresh starts within a few seconds of its time on an idle stack.
    const lagCount = moved('connectflow_refresh_lag_seconds_count', { provider });
    const lagMean = moved('connectflow_refresh_lag_seconds_sum', { provider }) / lagCount;
    expect(lagMean).toBeLessThan(5);

    const scrapeStarted = performance.now();
    const api = await apiMetrics();
    const scrapeMs = performance.now() - scrapeStarted;
    console.log(
      `metrics: refresh lag mean ${lagMean.toFixed(3)} s over ${lagCount}; API scrape ${scrapeMs.toFixed(1)} ms`,
    );
    const apiMoved = (name: string, labels: Record<string, string>) =>
      sample(api, name, labels) - sample(apiBefore, name, labels);
    expect(apiMoved('connectflow_callback_duration_seconds_count', { status: '200' })).toBeGreaterThanOrEqual(1);
    expect(
      apiMoved('connectflow_proxy_calls_total', { status_class: statusClass(proxied.status) }),
    ).toBeGreaterThanOrEqual(1);
    expect(api).toMatch(/^connectflow_connections\{status="active"\} \d+$/m);
    expect(api).toMatch(/^nodejs_heap_size_used_bytes \d+/m);

    for (const text of [api, worker]) {
      const values = labelValues(text);
      expect(values.has(connectionId)).toBe(false);
      expect(values.has(account.accountId)).toBe(false);
      for (const value of values) expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-|https?:\/\/|acct-/);
    }
  });

  it('answers callers on this host and operator tokens; anybody else gets 401 or 403 JSON', async () => {
    const api = await startInProcessApi({ CONNECTFLOW_TRUST_PROXY: '1' });
    try {
      const get = (remoteAddress: string, headers: Record<string, string> = {}) =>
        api.app.inject({ method: 'GET', url: '/metrics', remoteAddress, headers });
      expect((await get('127.0.0.1')).statusCode).toBe(200);
      expect((await get('::1')).statusCode).toBe(200);

      const remote = await get('203.0.113.9');
      expect(remote.statusCode).toBe(401);
      expect(remote.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
      // A forwarded header fakes nothing: neither from afar, nor through a (trusted) proxy on this host.
      expect((await get('203.0.113.9', { 'x-forwarded-for': '127.0.0.1' })).statusCode).toBe(401);
      expect((await get('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' })).statusCode).toBe(401);
      expect((await get('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).statusCode).toBe(401);

      const admin = (await newAccount(store, ['account:admin'])).token;
      const refused = await get('203.0.113.9', { authorization: `Bearer ${admin}` });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('operator token') });

      const operator = (await createOperatorToken(store, { name: 'metrics scraper' })).token;
      const allowed = await get('203.0.113.9', { authorization: `Bearer ${operator}` });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.body).toContain('# TYPE connectflow_proxy_calls_total counter');
    } finally {
      await api.close();
    }
  });

  it('with CONNECTFLOW_METRICS_PORT is not on the API port, but on a port of its own for every caller', async () => {
    const api = await startInProcessApi({ CONNECTFLOW_METRICS_PORT: String(await freePort()) });
    const port = await freePort();
    const server = await serveMetrics([metricsRegistry], '127.0.0.1', port);
    try {
      expect((await api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
      expect(await scrape(`http://127.0.0.1:${port}/metrics`)).toContain('connectflow_flows_started_total');
      const elsewhere = await fetch(`http://127.0.0.1:${port}/other`);
      expect(elsewhere.status).toBe(404);
      expect(await elsewhere.json()).toMatchObject({ error: 'not_found' });
    } finally {
      server.close();
      await api.close();
    }
  });

  it("the worker serves its own metrics, and the Temporal SDK's on a port of their own", async () => {
    const worker = await workerMetrics();
    expect(worker).toContain('# TYPE connectflow_refreshes_total counter');
    expect(worker).toContain('# TYPE connectflow_webhook_deliveries_total counter');
    const sdk = await waitUntil('the SDK metrics exported', async () => {
      const text = await (await fetch(stack.workerTemporalMetricsUrl)).text();
      return /^temporal_\w+/m.test(text) && text;
    });
    expect(sdk).toMatch(/^temporal_\w+\{[^}]*task_queue="connectflow"/m);
  });
});

describe('GET /readyz', () => {
  it('is 200 with both checks ok on the stack', async () => {
    const answer = await fetch(`${stack.apiUrl}/readyz`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: 'ready', checks: { temporal: 'ok', mongodb: 'ok' } });
  });

  it('is 503 naming MongoDB when the API cannot reach it', async () => {
    const closed = await freePort(); // nothing listens there
    const away = storeOn(
      new MongoClient(`mongodb://127.0.0.1:${closed}/?directConnection=true`, { serverSelectionTimeoutMS: 500 }),
      'connectflow',
    );
    const api = await startInProcessApi({}, { store: away });
    try {
      const started = Date.now();
      const answer = await fetch(`${api.url}/readyz`);
      expect(answer.status).toBe(503);
      const body = await answer.json();
      expect(body).toMatchObject({ error: 'not_ready', status: 'not_ready', checks: { temporal: 'ok' } });
      expect(body.checks.mongodb).not.toBe('ok');
      expect(body.message).toContain('mongodb');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await api.close();
    }
  });
});
