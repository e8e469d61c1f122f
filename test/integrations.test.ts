import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { IntegrationIdAttribute, OwnerIdAttribute, connectionWorkflowId } from '../lib/temporal/names.js';
import type { Store } from '../lib/store/openStore.js';
import { createDemoProvider, type DemoProvider } from '../scripts/dev/demoProvider/createDemoProvider.js';
import {
  createDemoResourceServer,
  type DemoResourceServer,
} from '../scripts/dev/demoProvider/createDemoResourceServer.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { launchBrowser, signInAndConsent } from './support/browser.js';
import { startInProcessService } from './support/inProcessService.js';
import { IntegrationsClient } from './support/IntegrationsClient.js';
import { RiveryClient } from './support/RiveryClient.js';
import { connectTestTemporal, newAccount, openTestStore, stack } from './support/testStack.js';

/**
 * The integrations API driven by a client written from its description: per-user and shared
 * integrations with their own OAuth app at a real oidc-provider, connected in Chromium, read, listed,
 * proxied and disconnected; end users kept apart, and other accounts seeing none of it.
 */

const TYPE = 'integration_demo';
const callback = `${stack.apiUrl}/oauth2/callback`;
const app = { clientId: 'integration-own-app', clientSecret: randomBytes(24).toString('base64url') };
/** The seed's connection fields, exactly. */
const SEED_FIELDS = [
  'apiBaseUri',
  'createdAt',
  'data',
  'id',
  'integrationId',
  'isShared',
  'lastAuthorizedAt',
  'ownerId',
  'refreshTokenExpiresAt',
  'tokenExpiresAt',
  'updatedAt',
];

let store: Store;
let temporal: Client;
let provider: DemoProvider;
let resource: DemoResourceServer;
let pages: Server;
let pagesOrigin: string;
let browser: Browser;
let service: Awaited<ReturnType<typeof startInProcessService>>;
let admin: RiveryClient;

beforeAll(async () => {
  store = await openTestStore();
  temporal = await connectTestTemporal();
  // The app's own pages: where the browser lands after connecting, and the client's own redirect_uri.
  pages = createServer((req, res) => {
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<h1 id="page">${new URL(req.url!, 'http://x').pathname}</h1>`);
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pagesOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  provider = await createDemoProvider({
    clients: [{ ...app, redirectUris: [callback, `${pagesOrigin}/own-callback`] }],
  });
  resource = await createDemoResourceServer({ introspect: (token) => provider.introspect(token) });
  const entry = {
    id: TYPE,
    name: 'Integration Demo',
    categories: ['developer-tools'],
    docs_url: 'https://github.com/panva/node-oidc-provider',
    issuer: provider.issuer,
    default_scopes: ['read'],
    api_base_uri: 'https://api.integration-demo.invalid/v1',
  };
  service = await startInProcessService({
    CONNECTFLOW_EXTRA_PROVIDERS: JSON.stringify([
      ...(JSON.parse(stack.appEnv.CONNECTFLOW_EXTRA_PROVIDERS ?? '[]') as unknown[]),
      entry,
    ]),
  });
  browser = await launchBrowser();
  admin = await adminOfNewAccount();
});

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await resource?.close();
  await provider?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await temporal?.connection.close();
  await store?.close();
});

async function adminOfNewAccount(): Promise<RiveryClient> {
  const { token } = await newAccount(store, ['connection:read', 'connection:edit', 'account:admin']);
  const client = new RiveryClient(service.url, token);
  const account = await client.request('PUT', '/api/account', { redirect_origins: [pagesOrigin] });
  expect(account.status, JSON.stringify(account.body)).toBe(200);
  return client;
}

/** An end user's API token, minted by the account's admin token. */
async function endUser(owner: RiveryClient, userId: string): Promise<IntegrationsClient> {
  const minted = await owner.request('POST', '/api/tokens', {
    name: `${userId}'s token`,
    scopes: ['connection:read', 'connection:edit'],
    user_id: userId,
    expires_in: 3600,
  });
  expect(minted.status, JSON.stringify(minted.body)).toBe(201);
  expect(minted.body).toMatchObject({ user_id: userId, token: expect.stringMatching(/^cf_/) });
  return new IntegrationsClient(service.url, minted.body.token);
}

async function putIntegration(owner: RiveryClient, id: string, fields: Record<string, unknown>) {
  const put = await owner.request('PUT', `/api/integrations/${id}`, {
    type: TYPE,
    name: `Demo ${id}`,
    scopes: ['read'],
    client_id: app.clientId,
    client_secret: app.clientSecret,
    api_base_uri: `${resource.url}/api`,
    success_url: `${pagesOrigin}/connected`,
    error_url: `${pagesOrigin}/failed`,
    ...fields,
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return put.body;
}

/** The end user connects in the browser: connect (302) → consent at the provider → the app's page. */
async function connectInBrowser(
  user: IntegrationsClient,
  id: string,
  options: { deny?: boolean; login?: string } = {},
) {
  const start = await user.connectUrl(id);
  expect(start.status).toBe(302);
  expect(start.location!.startsWith(provider.issuer)).toBe(true);
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(start.location!);
    await signInAndConsent(page, { user: options.login ?? 'alice', deny: options.deny });
    await page.waitForURL((url) => url.origin === pagesOrigin, { timeout: 60_000 });
    await page.waitForSelector('#page');
    return new URL(page.url());
  } finally {
    await context.close();
  }
}

const accessTokenOf = async (user: IntegrationsClient, connectionId: string) =>
  (await user.request('GET', `/api/connections/${connectionId}?include_credentials=true`)).body.credentials
    .access_token as string;

describe('a per-user integration with its own OAuth app', () => {
  it('connects an end user in the browser, reads, lists, proxies and disconnects through the integrations API', async () => {
    const shown = await putIntegration(admin, 'drive-eng', { mode: 'per_user' });
    expect(shown).toMatchObject({ id: 'drive-eng', type: TYPE, mode: 'per_user', client_id: app.clientId });
    const read = await admin.request('GET', '/api/integrations/drive-eng');
    expect(read.body).toEqual(shown);
    expect(JSON.stringify(read.body)).not.toContain(app.clientSecret);
    expect(JSON.stringify((await admin.request('GET', '/api/integrations')).body)).not.toContain(app.clientSecret);

    const alice = await endUser(admin, 'alice');
    expect((await alice.connection('drive-eng')).status).toBe(404);
    const landed = await connectInBrowser(alice, 'drive-eng');
    expect(landed.pathname).toBe('/connected');
    const connectionId = landed.searchParams.get('connection_id');
    expect(connectionId).toBeTruthy();

    const connection = await alice.connection('drive-eng');
    expect(connection.status).toBe(200);
    expect(Object.keys(connection.body).sort()).toEqual(SEED_FIELDS);
    expect(connection.body).toMatchObject({
      id: connectionId,
      integrationId: 'drive-eng',
      ownerId: 'alice',
      isShared: false,
      apiBaseUri: `${resource.url}/api`,
    });
    for (const field of ['tokenExpiresAt', 'lastAuthorizedAt', 'createdAt', 'updatedAt'])
      expect(Date.parse(connection.body[field]), field).not.toBeNaN();

    const listed = await alice.integrationConnections();
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      _links: { self: { href: '/api/integration-connections' } },
      _embedded: {
        'inf:integration-connection': [
          {
            ...connection.body,
            _embedded: { 'inf:integration': { id: 'drive-eng', name: 'Demo drive-eng', type: TYPE } },
          },
        ],
      },
      start: 0,
      count: 1,
      total: 1,
    });

    // An ordinary connection too: in GET /api/connections, with its owner and integration.
    const all = await alice.request('GET', '/api/connections');
    expect(all.body.items).toEqual([
      expect.objectContaining({ _id: connectionId, ownerId: 'alice', integrationId: 'drive-eng' }),
    ]);
    const workflow = await temporal.workflow.getHandle(connectionWorkflowId(connectionId!)).describe();
    expect(workflow.typedSearchAttributes.get(IntegrationIdAttribute)).toBe('drive-eng');
    expect(workflow.typedSearchAttributes.get(OwnerIdAttribute)).toBe('alice');

    // The proxy under the integration's api_base_uri, with the connection's token.
    const proxied = await alice.proxy('drive-eng', {
      url: '/files?pageSize=10',
      headers: { accept: 'application/json' },
    });
    expect(proxied.status, JSON.stringify(proxied.body)).toBe(200);
    expect(proxied.body).toMatchObject({ ok: true, method: 'GET', path: '/api/files', query: '?pageSize=10' });
    const byPath = await alice.proxyGet('drive-eng', 'files?pageSize=3');
    expect(byPath.status).toBe(200);
    expect(byPath.body).toMatchObject({ ok: true, method: 'GET', path: '/api/files', query: '?pageSize=3' });

    const accessToken = await accessTokenOf(alice, connectionId!);
    expect((await provider.introspect(accessToken)).active).toBe(true);
    expect((await alice.disconnect('drive-eng')).status).toBe(204);
    expect((await provider.introspect(accessToken)).active).toBe(false);
    expect((await alice.connection('drive-eng')).status).toBe(404);
    expect((await alice.integrationConnections()).body).toMatchObject({ count: 0, total: 0 });
  });

  it('keeps end users apart; a second connect reauthorizes the same connection; another account sees nothing', async () => {
    await putIntegration(admin, 'crm', { mode: 'per_user' });
    const alice = await endUser(admin, 'alice');
    const bob = await endUser(admin, 'bob');
    const aliceId = (await connectInBrowser(alice, 'crm')).searchParams.get('connection_id');
    const bobId = (await connectInBrowser(bob, 'crm', { login: 'bob' })).searchParams.get('connection_id');
    expect(bobId).not.toBe(aliceId);
    expect((await bob.connection('crm')).body).toMatchObject({ id: bobId, ownerId: 'bob' });
    expect((await alice.integrationConnections()).body._embedded['inf:integration-connection']).toEqual([
      expect.objectContaining({ id: aliceId }),
    ]);
    // Alice's connection is not Bob's to read, proxy or delete by its id.
    expect((await bob.request('GET', `/api/connections/${aliceId}`)).status).toBe(404);
    expect((await bob.request('POST', `/api/connections/${aliceId}/request`, { url: '/x' })).status).toBe(404);
    expect((await bob.request('GET', '/api/connections?end_user_id=alice')).status).toBe(403);
    const forAlice = await admin.request('GET', '/api/connections?end_user_id=alice');
    expect(forAlice.body.items.map((c: { _id: string }) => c._id)).toEqual([aliceId]);

    const again = (await connectInBrowser(alice, 'crm')).searchParams.get('connection_id');
    expect(again).toBe(aliceId);

    const stranger = new IntegrationsClient(service.url, (await newAccount(store)).token);
    expect((await stranger.connection('crm')).status).toBe(404);
    expect((await stranger.request('GET', '/api/integrations/crm')).status).toBe(404);
    expect((await stranger.proxy('crm', { url: '/x' })).status).toBe(404);
    expect((await stranger.request('GET', `/api/connections/${aliceId}`)).status).toBe(404);
    expect((await stranger.integrationConnections()).body).toMatchObject({ total: 0 });

    // In use: 409; force disconnects every connection through its workflow, then removes it.
    expect((await admin.request('DELETE', '/api/integrations/crm')).status).toBe(409);
    const bobToken = await accessTokenOf(bob, bobId!);
    expect((await admin.request('DELETE', '/api/integrations/crm?force=true')).status).toBe(204);
    expect((await provider.introspect(bobToken)).active).toBe(false);
    expect((await admin.request('GET', `/api/connections/${bobId}`)).status).toBe(404);
    expect((await admin.request('GET', '/api/integrations/crm')).status).toBe(404);
  });

  it('sends a refused consent to the error page with error=access_denied', async () => {
    await putIntegration(admin, 'denied', { mode: 'per_user' });
    const carol = await endUser(admin, 'carol');
    const landed = await connectInBrowser(carol, 'denied', { deny: true });
    expect(landed.pathname).toBe('/failed');
    expect(landed.searchParams.get('error')).toBe('access_denied');
    expect((await carol.connection('denied')).status).toBe(404);
  });

  it('creates a connection from an authorization code the client obtained itself (201)', async () => {
    await putIntegration(admin, 'own-code', { mode: 'per_user' });
    const dave = await endUser(admin, 'dave');
    const verifier = oauth.generateRandomCodeVerifier();
    const redirectUri = `${pagesOrigin}/own-callback`;
    const authorize = new URL(`${provider.issuer}/auth`);
    authorize.search = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: 'read',
      state: 'client-state',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const newCode = async () => (await authorizeByRedirects(authorize.href, redirectUri)).searchParams.get('code');
    const code = await newCode();
    const created = await dave.connect('own-code', { code, redirect_uri: redirectUri, code_verifier: verifier });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(SEED_FIELDS);
    expect(created.body).toMatchObject({ integrationId: 'own-code', ownerId: 'dave', isShared: false });
    expect((await dave.connection('own-code')).body.id).toBe(created.body.id);
    expect((await dave.proxy('own-code', { url: '/me' })).status).toBe(200);

    const reused = await dave.connect('own-code', { code, redirect_uri: redirectUri, code_verifier: verifier });
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ error: 'invalid_grant' });
    // A new code for the same end user authorizes the same connection again.
    const again = await dave.connect('own-code', {
      code: await newCode(),
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.id).toBe(created.body.id);
    expect(Date.parse(again.body.lastAuthorizedAt)).toBeGreaterThan(Date.parse(created.body.lastAuthorizedAt));
  });
});

describe('a shared integration', () => {
  it('gives every end user of the account the same connection', async () => {
    await putIntegration(admin, 'team-drive', { mode: 'shared' });
    const alice = await endUser(admin, 'alice');
    const bob = await endUser(admin, 'bob');
    const id = (await connectInBrowser(alice, 'team-drive')).searchParams.get('connection_id');
    const seen = await bob.connection('team-drive');
    expect(seen.body).toMatchObject({ id, isShared: true, ownerId: null });
    expect((await bob.integrationConnections()).body._embedded['inf:integration-connection']).toEqual([
      expect.objectContaining({ id, isShared: true }),
    ]);
    expect((await bob.proxy('team-drive', { url: '/shared' })).status).toBe(200);
    // Only an account:admin token may disconnect the account's shared connection.
    expect((await bob.disconnect('team-drive')).status).toBe(403);
    expect((await admin.request('DELETE', '/api/integrations/team-drive/connection')).status).toBe(204);
    expect((await bob.connection('team-drive')).status).toBe(404);
  });
});

describe('end users on the Rivery flow', () => {
  it("an account token names the end user (end_user); a user-bound token's requests and connections are its user's", async () => {
    const owner = await adminOfNewAccount();
    const put = await owner.request('PUT', `/api/oauth_apps/${TYPE}`, {
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
    expect(put.status).toBe(200);
    const connect = async (client: { request: RiveryClient['request'] }, body: Record<string, unknown> = {}) => {
      const created = await client.request('POST', '/api/oauth2', {
        datasource_id: TYPE,
        validity_duration: 600,
        ...body,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const landing = await fetch(await authorizeByRedirects(created.body.auth_uri, callback), {
        headers: { accept: 'application/json' },
      });
      const outcome = (await landing.json()) as { connection_id: string };
      return { pullId: created.body.pull_id as string, id: outcome.connection_id };
    };
    const frank = await connect(owner, { end_user: { id: 'frank', email: 'frank@example.com' } });
    const listed = await owner.request('GET', '/api/connections?end_user_id=frank');
    expect(listed.body.items).toEqual([
      expect.objectContaining({ _id: frank.id, ownerId: 'frank', integrationId: null }),
    ]);

    const gina = await endUser(owner, 'gina');
    const ginas = await connect(gina);
    expect((await gina.request('GET', `/api/connections/${ginas.id}`)).body).toMatchObject({ ownerId: 'gina' });
    expect((await gina.request('GET', '/api/connections')).body.items.map((c: { _id: string }) => c._id)).toEqual([
      ginas.id,
    ]);
    expect((await gina.request('POST', '/api/oauth2/credentials', { pull_id: frank.pullId })).status).toBe(404);
    expect((await gina.request('POST', '/api/oauth2/credentials', { pull_id: ginas.pullId })).status).toBe(200);
    expect((await gina.request('DELETE', `/api/connections/${frank.id}`)).status).toBe(404);
  });
});

describe('integrations and end-user tokens refuse bad input', () => {
  it('checks the type, connection_config, pages, app credentials and scope', async () => {
    const base = { type: TYPE, name: 'x', mode: 'per_user' };
    const put = (body: Record<string, unknown>, client = admin) => client.request('PUT', '/api/integrations/bad', body);
    expect((await put({ ...base, type: 'no_such_type' })).body).toMatchObject({ error: 'unknown_datasource' });
    expect((await put({ ...base, mode: 'sometimes' })).status).toBe(400);
    expect((await put({ ...base, connection_config: { subdomain: 'x' } })).body).toMatchObject({
      error: 'invalid_connection_config',
    });
    expect((await put({ ...base, success_url: 'https://elsewhere.example/ok' })).body).toMatchObject({
      error: 'success_url_not_allowed',
    });
    expect((await put({ ...base, client_id: 'only-an-id' })).status).toBe(400);
    expect((await admin.request('PUT', '/api/integrations/bad%20id', base)).status).toBe(400);
    const alice = await endUser(admin, 'alice');
    expect((await alice.request('PUT', '/api/integrations/bad', base)).status).toBe(403);
  });

  it('an integration without any OAuth app is 422 provider_not_configured, naming the integration', async () => {
    await admin.request('PUT', '/api/integrations/no-app', { type: TYPE, name: 'No app', mode: 'per_user' });
    const start = await admin.request('GET', '/api/integrations/no-app/connect');
    expect(start.status).toBe(422);
    expect(start.body).toMatchObject({
      error: 'provider_not_configured',
      message: expect.stringContaining('PUT /api/integrations/no-app'),
    });
  });

  it('user-bound tokens: no account:admin, no minting, no other user; expired tokens are refused', async () => {
    const withAdmin = await admin.request('POST', '/api/tokens', {
      name: 'x',
      scopes: ['account:admin'],
      user_id: 'alice',
    });
    expect(withAdmin.status).toBe(400);
    const alice = await endUser(admin, 'alice');
    expect((await alice.request('POST', '/api/tokens', { name: 'x', scopes: ['connection:read'] })).status).toBe(403);
    expect((await alice.request('GET', '/api/events')).status).toBe(403);
    const asBob = await alice.request('POST', '/api/oauth2', {
      datasource_id: TYPE,
      validity_duration: 600,
      end_user: { id: 'bob' },
    });
    expect(asBob.status).toBe(403);

    const minted = await admin.request('POST', '/api/tokens', {
      name: 'short',
      scopes: ['connection:read'],
      expires_in: 60,
    });
    expect(minted.status).toBe(201);
    const short = new IntegrationsClient(service.url, minted.body.token);
    expect((await short.request('GET', '/api/connections')).status).toBe(200);
    await store.apiTokens.updateOne(
      { tokenId: minted.body.token_id },
      { $set: { expiresAt: new Date(Date.now() - 1000) } },
    );
    const refused = await short.request('GET', '/api/connections');
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: 'token_expired' });
  });
});
