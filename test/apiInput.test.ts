import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../lib/store/openStore.js';
import { authorizeInBrowser, launchBrowser } from './support/browser.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, openTestStore, stack } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';

let store: Store;
let rivery: RiveryClient;

const isErrorBody = (body: unknown) =>
  expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });

beforeAll(async () => {
  store = await openTestStore();
  rivery = new RiveryClient(stack.apiUrl, (await newAccount(store)).token);
});
afterAll(async () => {
  await store?.close();
});

describe('bad input is a clear 4xx, never a 500', () => {
  it.each([299, 43201, 0, -5, 300.5])('validity_duration %s is a 400 naming the bounds', async (validity) => {
    const res = await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: validity });
    expect(res.status).toBe(400);
    isErrorBody(res.body);
    expect(res.body.message).toContain('300');
    expect(res.body.message).toContain('43200');
  });

  it('accepts the bounds themselves', async () => {
    for (const validity of [300, 43200]) {
      expect((await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: validity })).status).toBe(200);
    }
  });

  it('an unknown datasource_id is a 400 that says where to look', async () => {
    const res = await rivery.newOAuth2Request({ datasource_id: 'no_such_source', validity_duration: 600 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      error: 'unknown_datasource',
      message: expect.stringContaining('/api/connection_types'),
    });
  });

  it('a known provider without an OAuth app configured is a 422 naming the settings', async () => {
    const res = await rivery.newOAuth2Request({ datasource_id: 'salesforce', validity_duration: 600 });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      error: 'provider_not_configured',
      message: expect.stringContaining('CONNECTFLOW_PROVIDER_SALESFORCE_CLIENT_ID'),
    });
  });

  it.each([
    ['malformed JSON', '{"datasource_id": "demo", "validity_duration": 6'],
    ['a JSON array', '[1,2,3]'],
    ['wrong types', '{"datasource_id": 42, "validity_duration": "long"}'],
    ['missing fields', '{}'],
    ['null', 'null'],
  ])('%s is a 400 with an error body', async (_name, raw) => {
    const res = await rivery.request('POST', '/api/oauth2', undefined, raw);
    expect(res.status).toBe(400);
    isErrorBody(res.body);
  });

  it('an unsupported content type is a 415 with an error body', async () => {
    const res = await fetch(`${stack.apiUrl}/api/oauth2`, {
      method: 'POST',
      headers: { authorization: (await bearer()).authorization, 'content-type': 'application/xml' },
      body: '<x/>',
    });
    expect(res.status).toBe(415);
    isErrorBody(await res.json());
  });

  it('bad paging is a 400; an unknown route is a JSON 404', async () => {
    const paging = await rivery.listConnections('?page=0&page_size=100000');
    expect(paging.status).toBe(400);
    expect(paging.body.details.map((d: { path: string }) => d.path)).toEqual(['query.page', 'query.page_size']);
    const unknown = await rivery.request('GET', '/api/nothing-here');
    expect(unknown.status).toBe(404);
    isErrorBody(unknown.body);
  });
});

describe('API tokens, scopes and accounts', () => {
  it('a revoked token is refused from the next request on', async () => {
    const { token, tokenId } = await newAccount(store);
    const client = new RiveryClient(stack.apiUrl, token);
    expect((await client.listConnections()).status).toBe(200);
    // lastUsedAt is recorded beside the request, not before its answer: wait for it.
    const used = await waitUntil(
      "the token's lastUsedAt",
      async () => (await store.apiTokens.findOne({ tokenId }))?.lastUsedAt ?? undefined,
    );
    expect(used).toBeInstanceOf(Date);
    const { revokeApiToken } = await import('../lib/store/apiTokens.js');
    expect(await revokeApiToken(store, tokenId)).toBe(true);
    const refused = await client.listConnections();
    expect(refused.status).toBe(401);
    expect(refused.body.message).toContain('revoked');
  });

  it('a redirect_url must be on the account allow-list (no open redirect)', async () => {
    const admin = new RiveryClient(stack.apiUrl, (await newAccount(store, ['account:admin'])).token);
    const evil = await admin.newOAuth2Request({
      datasource_id: 'demo',
      validity_duration: 600,
      redirect_url: 'https://evil.example/steal',
    });
    expect(evil.status).toBe(400);
    expect(evil.body).toMatchObject({ error: 'redirect_url_not_allowed' });
    const set = await admin.request('PUT', '/api/account', {
      redirect_origins: ['https://app.example.com/ignored/path'],
    });
    expect(set.body).toEqual({ account_id: expect.any(String), redirect_origins: ['https://app.example.com'] });
    const ok = await admin.newOAuth2Request({
      datasource_id: 'demo',
      validity_duration: 600,
      redirect_url: 'https://app.example.com/done',
    });
    expect(ok.status).toBe(200);
    expect(
      (
        await admin.newOAuth2Request({
          datasource_id: 'demo',
          validity_duration: 600,
          redirect_url: 'https://evil.example/steal',
        })
      ).status,
    ).toBe(400);
  });

  it('no token or an unknown token is a 401', async () => {
    const none = await new RiveryClient(stack.apiUrl, undefined).connectionTypes();
    expect(none.status).toBe(401);
    isErrorBody(none.body);
    const unknown = await new RiveryClient(stack.apiUrl, 'cf_this-token-was-never-issued-by-us').connectionTypes();
    expect(unknown.status).toBe(401);
  });

  it('a read-only token can read but not start a flow (403)', async () => {
    const reader = new RiveryClient(stack.apiUrl, (await newAccount(store, ['connection:read'])).token);
    expect((await reader.listConnections()).status).toBe(200);
    const denied = await reader.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'forbidden', message: expect.stringContaining('connection:edit') });
  });

  it("another account's requests and connections are 404 and stay unchanged", async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const owner = new RiveryClient(stack.apiUrl, (await newAccount(store)).token);
      const stranger = new RiveryClient(stack.apiUrl, (await newAccount(store)).token);
      const { body } = await owner.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
      const landing = await authorizeInBrowser(browser, body.auth_uri);
      const id: string = landing.result.connection_id;
      const before = await store.connections.findOne({ _id: id });

      expect((await stranger.getCredentials({ pull_id: body.pull_id })).status).toBe(404);
      expect((await stranger.getConnection(id)).status).toBe(404);
      expect((await stranger.updateConnection(id, { connection_name: 'mine now' })).status).toBe(404);
      expect(
        (
          await stranger.createConnection({
            connection_type: 'demo',
            connection_name: 'mine now',
            credentials: { connection_id: id },
          })
        ).status,
      ).toBe(404);
      expect((await stranger.getConnection(id, '?include_credentials=true')).status).toBe(404);
      expect((await stranger.request('POST', `/api/connections/${id}/refresh`)).status).toBe(404);
      expect(
        (await stranger.request('POST', `/api/connections/${id}/reauthorize`, { validity_duration: 600 })).status,
      ).toBe(404);
      expect((await stranger.request('DELETE', `/api/connections/${id}`)).status).toBe(404);
      expect((await stranger.listConnections()).body.total).toBe(0);
      expect(await store.connections.findOne({ _id: id })).toEqual(before);
      expect(await store.oauthRequests.countDocuments({ connectionId: id })).toBe(1);
      expect((await owner.getConnection(id)).status).toBe(200);

      // While the owner's refresh is in flight, a stranger's refresh (which may join it) is still 404.
      let ownerDone = false;
      const ownerRefresh = owner.request('POST', `/api/connections/${id}/refresh`).finally(() => (ownerDone = true));
      const strangerStatuses: number[] = [];
      while (!ownerDone)
        strangerStatuses.push((await stranger.request('POST', `/api/connections/${id}/refresh`)).status);
      expect((await ownerRefresh).status).toBe(200);
      expect(strangerStatuses.length).toBeGreaterThan(0);
      expect(new Set(strangerStatuses)).toEqual(new Set([404]));
    } finally {
      await browser?.close();
    }
  });
});

async function bearer() {
  return { authorization: `Bearer ${(await newAccount(store)).token}` };
}

describe('the API describes itself', () => {
  it('serves an OpenAPI document generated from the same zod schemas, and a docs page', async () => {
    const res = await fetch(`${stack.apiUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    const openApi = await res.json();
    for (const path of [
      '/api/oauth2',
      '/api/oauth2/credentials',
      '/api/connections',
      '/api/connections/{id}',
      '/api/connections/{id}/refresh',
      '/oauth2/callback',
    ]) {
      expect(Object.keys(openApi.paths)).toContain(path);
    }
    const validity =
      openApi.paths['/api/oauth2'].post.requestBody.content['application/json'].schema.properties.validity_duration;
    expect(validity).toMatchObject({ minimum: 300, maximum: 43200 });
    expect(openApi.paths['/api/connections/{id}'].delete['x-scope']).toBe('connection:edit');
    // /docs is Swagger UI from its bundled assets (nothing from another host), reading the same document.
    const docs = await (await fetch(`${stack.apiUrl}/docs`)).text();
    expect(docs).toContain('swagger-ui-bundle.js');
    expect(docs).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(await (await fetch(`${stack.apiUrl}/docs/json`)).json()).toEqual(openApi);
  });
});
