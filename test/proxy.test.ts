import { createHash, randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeOverHttp } from '../bench/harness/httpAuthorizer.js';
import type { Store } from '../lib/store/openStore.js';
import { createDemoProvider, type DemoProvider } from '../scripts/dev/demoProvider/createDemoProvider.js';
import {
  createDemoResourceServer,
  type DemoResourceServer,
} from '../scripts/dev/demoProvider/createDemoResourceServer.js';
import { storedCredentials } from './support/connectInBrowser.js';
import { startInProcessService } from './support/inProcessService.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, openTestStore, stack } from './support/testStack.js';

/**
 * The proxy end to end: an API and worker in this process with two providers of their own. Both
 * authorize at a demo oidc-provider of this file; `proxied` has its API on a resource server of this
 * file (on loopback, as the demo's is), `proxied_remote` on an https host whose name this API resolves
 * through a table the test controls. The resource server accepts only tokens the oidc-provider issued
 * and records everything that reached it.
 */
const MiB = 1024 * 1024;
const clientId = 'connectflow-proxied';
const clientSecret = randomBytes(24).toString('base64url');
const hosts: Record<string, LookupAddress[]> = {};

let provider: DemoProvider;
let resource: DemoResourceServer;
let otherOrigin: DemoResourceServer;
let service: Awaited<ReturnType<typeof startInProcessService>>;
let store: Store;
let rivery: RiveryClient;
let apiToken: string;

beforeAll(async () => {
  store = await openTestStore();
  provider = await createDemoProvider({
    clients: [{ clientId, clientSecret, redirectUris: [`${stack.apiUrl}/oauth2/callback`] }],
    accessTokenTtlSeconds: 3600,
  });
  // An active verdict is kept 10 s: 200 simultaneous calls need not be 200 introspections on this one process.
  resource = await createDemoResourceServer({
    introspect: (token) => provider.introspect(token),
    introspectionCacheMs: 10_000,
  });
  otherOrigin = await createDemoResourceServer({ introspect: async () => ({ active: true }) });
  const entry = (id: string, apiBaseUri: string) => ({
    id,
    name: id,
    categories: ['developer-tools'],
    docs_url: 'https://github.com/panva/node-oidc-provider',
    issuer: provider.issuer,
    default_scopes: ['read'],
    api_base_uri: apiBaseUri,
  });
  const env = {
    CONNECTFLOW_EXTRA_PROVIDERS: JSON.stringify([
      ...(JSON.parse(stack.appEnv.CONNECTFLOW_EXTRA_PROVIDERS ?? '[]') as unknown[]),
      entry('proxied', `${resource.url}/api`),
      entry('proxied_remote', `https://api.remote.test:${resource.port}/v1`),
    ]),
    CONNECTFLOW_PROVIDER_PROXIED_CLIENT_ID: clientId,
    CONNECTFLOW_PROVIDER_PROXIED_CLIENT_SECRET: clientSecret,
    CONNECTFLOW_PROVIDER_PROXIED_REMOTE_CLIENT_ID: clientId,
    CONNECTFLOW_PROVIDER_PROXIED_REMOTE_CLIENT_SECRET: clientSecret,
    CONNECTFLOW_PROXY_TIMEOUT_SECONDS: '3',
  };
  service = await startInProcessService(env, {}, { resolveHost: async (host) => hosts[host] ?? [] });
  apiToken = (await newAccount(store)).token;
  rivery = new RiveryClient(service.url, apiToken);
});

afterAll(async () => {
  await service?.close();
  await Promise.all([resource?.close(), otherOrigin?.close(), provider?.close()]);
  await store?.close();
});

/** The whole flow without a browser: POST /api/oauth2, sign in and consent at the provider, the callback. */
async function connect(datasourceId: 'proxied' | 'proxied_remote'): Promise<string> {
  const created = await rivery.newOAuth2Request({ datasource_id: datasourceId, validity_duration: 600 });
  expect(created.status).toBe(200);
  const { callbackUrl } = await authorizeOverHttp(created.body.auth_uri, {
    isCallback: (url) => url.pathname === '/oauth2/callback',
  });
  const res = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
  const outcome = (await res.json()) as { connected: boolean; connection_id: string };
  expect(outcome.connected).toBe(true);
  return outcome.connection_id;
}

const proxyUrl = (id: string, rest: string) => `${service.url}/api/connections/${id}/proxy${rest}`;
const authorized = (headers: Record<string, string> = {}) => ({ authorization: `Bearer ${apiToken}`, ...headers });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const refreshCalls = () => provider.counts.tokenByGrant.refresh_token ?? 0;
const accessTokenOf = async (id: string) => (await storedCredentials(store, id))!.access_token;

/** A request with its path sent exactly as written (fetch would resolve `..` and `%2e%2e` first). */
function rawRequest(method: string, path: string, body?: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(service.url);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: authorized(body ? { 'content-type': 'application/json' } : {}),
      },
      async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const envelope = (id: string, body: unknown) =>
  fetch(`${service.url}/api/connections/${id}/request`, {
    method: 'POST',
    headers: authorized({ 'content-type': 'application/json' }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('the proxy', () => {
  let id: string;
  beforeAll(async () => {
    id = await connect('proxied');
  });

  it("forwards a GET with the connection's token, never the caller's Authorization or cookies", async () => {
    const before = resource.received.length;
    const res = await fetch(proxyUrl(id, '/items/42?fields=a,b&q=%2F'), {
      headers: authorized({ cookie: 'connectflow_session=secret', 'x-forwarded-for': '6.6.6.6', 'x-custom': 'kept' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, path: '/api/items/42', query: '?fields=a,b&q=%2F' });
    expect(res.headers.get('x-connectflow-proxy')).toBe('attempts=1; token_refreshed=false');
    const got = resource.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.url).toBe('/api/items/42?fields=a,b&q=%2F');
    expect(got[0]!.headers.authorization).toBe(`Bearer ${await accessTokenOf(id)}`);
    expect(got[0]!.headers.cookie).toBeUndefined();
    expect(got[0]!.headers['x-forwarded-for']).toBeUndefined();
    expect(got[0]!.headers['x-custom']).toBe('kept');
    expect(JSON.stringify(got[0]!.headers)).not.toContain(apiToken);

    const long = `/${'segment/'.repeat(60)}end`;
    const deep = await fetch(proxyUrl(id, long), { headers: authorized() });
    expect(deep.status).toBe(200);
    expect(resource.received.at(-1)!.url).toBe(`/api${long}`);
  });

  it('passes a JSON body as bytes (an integer above 2^53 arrives unchanged) and drops the Set-Cookie', async () => {
    const text = '{"id": 12345678901234567890, "n": 1.0e2}';
    const res = await fetch(proxyUrl(id, '/echo'), {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/json' }),
      body: text,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(text);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('sends the envelope form the same way: data as written, method and headers from the envelope', async () => {
    const res = await envelope(
      id,
      '{"method":"put","url":"/echo","headers":{"X-Trace":"t1"},"data":{"id":12345678901234567890}}',
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"id":12345678901234567890}');
    expect(res.headers.get('x-echo-method')).toBe('PUT');
    expect(resource.received.at(-1)!.headers['x-trace']).toBe('t1');
    const get = await envelope(id, { url: 'things?x=1' });
    expect(await get.json()).toMatchObject({ method: 'GET', path: '/api/things', query: '?x=1' });
  });

  it('uploads binary bytes byte-identical with their content type', async () => {
    const jpeg = randomBytes(300 * 1024);
    const res = await fetch(proxyUrl(id, '/echo'), {
      method: 'POST',
      headers: authorized({ 'content-type': 'image/jpeg' }),
      body: jpeg,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(jpeg));
  });

  it('streams a 20 MiB download and a 9 MiB upload', async () => {
    const download = await fetch(proxyUrl(id, `/download?bytes=${20 * MiB}`), { headers: authorized() });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-length')).toBe(String(20 * MiB));
    const reader = download.body!.getReader();
    let size = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) size += read.value.length;
    expect(size).toBe(20 * MiB);

    const head = await fetch(proxyUrl(id, `/download?bytes=${5 * MiB}`), { method: 'HEAD', headers: authorized() });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(5 * MiB));

    const upload = randomBytes(9 * MiB);
    const res = await fetch(proxyUrl(id, '/upload'), {
      method: 'PUT',
      headers: authorized({ 'content-type': 'application/octet-stream' }),
      body: upload,
    });
    expect(res.status).toBe(200);
    expect(resource.received.at(-1)).toMatchObject({ bodyBytes: 9 * MiB, bodySha256: sha256(upload) });
  });

  it('refuses an 11 MiB upload with a 413 before anything reaches the provider', async () => {
    const before = resource.received.length;
    const res = await fetch(proxyUrl(id, '/upload'), {
      method: 'POST',
      headers: authorized({ 'content-type': 'application/octet-stream' }),
      body: randomBytes(11 * MiB),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe('payload_too_large');
    expect(resource.received.length).toBe(before);
  });

  it('retries a 429 after its Retry-After, and says so', async () => {
    const res = await fetch(proxyUrl(id, '/status/429?key=rate&times=1&retry_after=1'), { headers: authorized() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-connectflow-proxy')).toBe('attempts=2; token_refreshed=false');
  });

  it('does not retry a POST that got a 503 unless asked; retries a GET', async () => {
    const post = await fetch(proxyUrl(id, '/status/503?key=post&times=1'), { method: 'POST', headers: authorized() });
    expect(post.status).toBe(503);
    const asked = await fetch(proxyUrl(id, '/status/503?key=asked&times=1'), {
      method: 'POST',
      headers: authorized({ 'x-connectflow-retries': '1' }),
    });
    expect(asked.status).toBe(200);
    expect(asked.headers.get('x-connectflow-proxy')).toBe('attempts=2; token_refreshed=false');
    const get = await fetch(proxyUrl(id, '/status/503?key=get&times=1'), { headers: authorized() });
    expect(get.status).toBe(200);
  });

  it('returns a redirect to another origin to the caller instead of following it with the token', async () => {
    const target = `${otherOrigin.url}/steal`;
    const res = await fetch(proxyUrl(id, `/redirect?to=${encodeURIComponent(target)}`), {
      headers: authorized(),
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(target);
    expect(otherOrigin.received).toHaveLength(0);
  });

  it('answers 504 naming the provider when it is too slow', async () => {
    const res = await fetch(proxyUrl(id, '/slow?ms=5000'), { headers: authorized() });
    expect(res.status).toBe(504);
    const body = await res.json();
    expect(body.error).toBe('provider_timeout');
    expect(body.message).toContain('proxied');
  });

  it('refuses paths that climb out and URLs on another host, sending nothing', async () => {
    const before = resource.received.length;
    for (const path of ['/../admin', '/%2e%2e/admin', '/a/%2E%2e%2fadmin', '/%252e%252e/admin']) {
      const res = await rawRequest('GET', `/api/connections/${id}/proxy${path}`);
      expect(res.status, path).toBe(400);
      expect(res.body.details.reason, path).toBe('path_escape');
    }
    for (const url of [
      '../admin',
      '%2e%2e/admin',
      `http://localhost:${resource.port}/api/echo`,
      'https://evil.example/x',
    ]) {
      const res = await envelope(id, { url });
      expect(res.status, url).toBe(400);
      expect((await res.json()).error).toBe('proxy_refused');
    }
    expect(resource.received.length).toBe(before);
  });

  it('refreshes once on a 401 and retries once with the new token; a second 401 is returned as it is', async () => {
    const old = await accessTokenOf(id);
    const refreshes = refreshCalls();
    const res = await fetch(proxyUrl(id, '/status/401?key=once&times=1'), { headers: authorized() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-connectflow-proxy')).toBe('attempts=2; token_refreshed=true');
    expect(refreshCalls() - refreshes).toBe(1);
    const fresh = await accessTokenOf(id);
    expect(fresh).not.toBe(old);
    expect(resource.received.at(-1)!.headers.authorization).toBe(`Bearer ${fresh}`);

    const again = await fetch(proxyUrl(id, '/status/401?key=always&times=99'), { headers: authorized() });
    expect(again.status).toBe(401);
    expect(again.headers.get('x-connectflow-proxy')).toBe('attempts=2; token_refreshed=true');
    expect(refreshCalls() - refreshes).toBeLessThanOrEqual(2);
  });
});

describe('tokens past their expiry', () => {
  it('an expired access token is refreshed once and the call succeeds', async () => {
    const id = await connect('proxied');
    await expireStoredToken(id);
    const refreshes = refreshCalls();
    const res = await fetch(proxyUrl(id, '/items'), { headers: authorized() });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-connectflow-proxy')).toBe('attempts=1; token_refreshed=true');
    expect(refreshCalls() - refreshes).toBe(1);
  });

  it('200 concurrent proxied calls on an expired token make exactly one token-endpoint call', async () => {
    const id = await connect('proxied');
    await expireStoredToken(id);
    const refreshes = refreshCalls();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await fetch(proxyUrl(id, '/items'), { headers: authorized() });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(refreshCalls() - refreshes).toBe(1);
  });

  it('a needs_reauth connection answers 409 without calling the provider', async () => {
    const id = await connect('proxied');
    await store.connections.updateOne({ _id: id }, { $set: { status: 'needs_reauth' } });
    const before = resource.received.length;
    const res = await fetch(proxyUrl(id, '/items'), { headers: authorized() });
    expect(res.status).toBe(409);
    expect((await res.json()).error).toBe('needs_reauth');
    expect(resource.received.length).toBe(before);
  });
});

describe('a provider whose API is not on loopback', () => {
  it('refuses a name that resolves to 127.0.0.1 or 169.254.169.254: 400, no connection opened', async () => {
    const id = await connect('proxied_remote');
    const connectionsBefore = resource.connections;
    for (const address of ['127.0.0.1', '169.254.169.254']) {
      hosts['api.remote.test'] = [{ address, family: 4 }];
      const res = await fetch(proxyUrl(id, '/items'), { headers: authorized() });
      expect(res.status, address).toBe(400);
      const body = await res.json();
      expect(body.details.reason).toBe('blocked_address');
      expect(body.message).toContain(address);
    }
    expect(resource.connections).toBe(connectionsBefore);
  });
});

async function expireStoredToken(id: string) {
  await store.connections.updateOne({ _id: id }, { $set: { tokenExpiresAt: new Date(Date.now() - 60_000) } });
}
