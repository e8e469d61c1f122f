import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { connectionWorkflowId } from '../lib/temporal/names.js';
import type { Store } from '../lib/store/openStore.js';
import { createDemoProvider, type DemoProvider } from '../scripts/dev/demoProvider/createDemoProvider.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { startInProcessService } from './support/inProcessService.js';
import { RiveryClient } from './support/RiveryClient.js';
import { connectTestTemporal, keyRing, newAccount, openTestStore, stack } from './support/testStack.js';

/**
 * Accounts' own OAuth apps: one source type with no service app, a real oidc-provider with one client
 * per account, and each account's connections made, refreshed and revoked with its own client.
 */

const TYPE = 'own_app_demo';
const callback = `${stack.apiUrl}/oauth2/callback`;
const newClient = (clientId: string) => ({ clientId, clientSecret: randomBytes(24).toString('base64url') });
const clients = { a: newClient('account-a-app'), b: newClient('account-b-app') };

let store: Store;
let provider: DemoProvider;
let catalogDir: string;
let service: Awaited<ReturnType<typeof startInProcessService>>;

beforeAll(async () => {
  store = await openTestStore();
  provider = await createDemoProvider({
    clients: Object.values(clients).map((c) => ({ ...c, redirectUris: [callback] })),
  });
  catalogDir = await mkdtemp(join(tmpdir(), 'connectflow-own-apps-'));
  const entry = {
    id: TYPE,
    name: 'Own App Demo',
    categories: ['developer-tools'],
    docs_url: 'https://github.com/panva/node-oidc-provider',
    default_scopes: ['read'],
    authorization_endpoint: `${provider.issuer}/auth`,
    token_endpoint: `${provider.issuer}/token`,
    revocation_endpoint: `${provider.issuer}/token/revocation`,
  };
  await writeFile(join(catalogDir, `${TYPE}.yaml`), stringify(entry));
  service = await startInProcessService({ CONNECTFLOW_EXTRA_PROVIDERS: catalogDir });
});

afterAll(async () => {
  await service?.close();
  await provider?.close();
  await store?.close();
  if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
});

async function adminClient() {
  const { token } = await newAccount(store, ['connection:read', 'connection:edit', 'account:admin']);
  return new RiveryClient(service.url, token);
}

/** A connection of the account, authorized by its user at the provider; its id and the client_id it was sent to. */
async function connect(rivery: RiveryClient) {
  const created = await rivery.newOAuth2Request({ datasource_id: TYPE, validity_duration: 600 });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const landing = await fetch(await authorizeByRedirects(created.body.auth_uri, callback), {
    headers: { accept: 'application/json' },
  });
  const outcome = (await landing.json()) as Record<string, any>;
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ connected: true });
  return {
    id: outcome.connection_id as string,
    sentClientId: new URL(created.body.auth_uri).searchParams.get('client_id'),
  };
}

/** Every payload in a workflow history. */
function payloadsOf(value: unknown, into: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return into;
  const v = value as Record<string, unknown>;
  if (v.metadata && typeof v.metadata === 'object' && v.data instanceof Uint8Array) into.push(v as Payload);
  else for (const child of Object.values(v)) payloadsOf(child, into);
  return into;
}

const tokensOf = async (rivery: RiveryClient, id: string) =>
  (await rivery.getConnection(id, '?include_credentials=true')).body.credentials as {
    access_token: string;
    refresh_token: string;
  };

describe("an account's own OAuth app", () => {
  it('without one (and no service app) a new request is 422 provider_not_configured, naming what to set', async () => {
    const rivery = await adminClient();
    const created = await rivery.newOAuth2Request({ datasource_id: TYPE, validity_duration: 600 });
    expect(created.status).toBe(422);
    expect(created.body).toMatchObject({
      error: 'provider_not_configured',
      message: expect.stringMatching(
        /PUT \/api\/oauth_apps\/own_app_demo.*CONNECTFLOW_PROVIDER_OWN_APP_DEMO_CLIENT_ID/,
      ),
    });
  });

  it('is refused on bad input (400), an unknown datasource_id (404) and without account:admin (403)', async () => {
    const rivery = await adminClient();
    const bad = await rivery.request('PUT', `/api/oauth_apps/${TYPE}`, { client_id: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const wrongType = await rivery.request('PUT', `/api/oauth_apps/${TYPE}`, { client_id: 'x', client_secret: 7 });
    expect(wrongType.status).toBe(400);
    const unknown = await rivery.request('PUT', '/api/oauth_apps/no_such_source', {
      client_id: 'x',
      client_secret: 'y',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: 'not_found' });
    expect((await rivery.request('GET', `/api/oauth_apps/${TYPE}`)).status).toBe(404);
    expect((await rivery.request('DELETE', `/api/oauth_apps/${TYPE}`)).status).toBe(404);

    const { token } = await newAccount(store, ['connection:read', 'connection:edit']);
    const member = new RiveryClient(service.url, token);
    for (const [method, body] of [
      ['PUT', { client_id: 'x', client_secret: 'y' }],
      ['GET', undefined],
      ['DELETE', undefined],
    ] as const) {
      expect((await member.request(method, `/api/oauth_apps/${TYPE}`, body)).status, method).toBe(403);
    }
    expect((await member.request('GET', '/api/oauth_apps')).status).toBe(403);
  });

  it('two accounts use their own clients for one source type: authorize, exchange, refresh and revocation; a deleted app strands nothing', async () => {
    const accounts = { a: await adminClient(), b: await adminClient() };
    for (const key of ['a', 'b'] as const) {
      const { clientId, clientSecret } = clients[key];
      const put = await accounts[key].request('PUT', `/api/oauth_apps/${TYPE}`, {
        client_id: clientId,
        client_secret: clientSecret,
        scopes: ['read', 'write'],
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const expected = { datasource_id: TYPE, client_id: clientId, scopes: ['read', 'write'] };
      expect(put.body).toEqual({ ...expected, created_at: expect.any(String), updated_at: expect.any(String) });
      const shown = await accounts[key].request('GET', `/api/oauth_apps/${TYPE}`);
      expect(shown.body).toEqual(put.body);
      expect((await accounts[key].request('GET', '/api/oauth_apps')).body).toEqual([put.body]);
      expect(JSON.stringify(shown.body)).not.toContain(clientSecret);
    }

    // The catalog says the type is configured for an account with its own app, and only for it.
    const configured = async (rivery: RiveryClient) => [
      (await rivery.connectionTypes()).body.find((t: { datasource_id: string }) => t.datasource_id === TYPE).configured,
      (await rivery.request('GET', `/api/connection_types/${TYPE}`)).body.configured,
    ];
    expect(await configured(accounts.a)).toEqual([true, true]);
    expect(await configured(await adminClient())).toEqual([false, false]);

    const made: Record<'a' | 'b', string> = { a: '', b: '' };
    for (const key of ['a', 'b'] as const) {
      const { id, sentClientId } = await connect(accounts[key]);
      made[key] = id;
      expect(sentClientId).toBe(clients[key].clientId);
      const tokens = await tokensOf(accounts[key], id);
      // The provider issued the tokens to the account's client (the code exchange authenticated as it).
      expect(await provider.introspect(tokens.access_token)).toEqual({ active: true, clientId: clients[key].clientId });
      expect((await accounts[key].getConnection(id)).body.scopes.sort()).toEqual(['read', 'write']);
    }
    const exchangesBefore = provider.counts.tokenByGrant.refresh_token ?? 0;
    for (const key of ['a', 'b'] as const) {
      const refreshed = await accounts[key].request('POST', `/api/connections/${made[key]}/refresh`);
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
      expect(await provider.introspect(refreshed.body.credentials.access_token)).toEqual({
        active: true,
        clientId: clients[key].clientId,
      });
    }
    expect(provider.counts.tokenByGrant.refresh_token).toBe(exchangesBefore + 2);

    // Deleting account a's app leaves its connection on the client its tokens belong to.
    expect((await accounts.a.request('DELETE', `/api/oauth_apps/${TYPE}`)).status).toBe(204);
    expect((await accounts.a.request('GET', `/api/oauth_apps/${TYPE}`)).status).toBe(404);
    expect((await accounts.a.request('GET', '/api/oauth_apps')).body).toEqual([]);
    const again = await accounts.a.request('POST', `/api/connections/${made.a}/refresh`);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect((await provider.introspect(again.body.credentials.access_token)).clientId).toBe(clients.a.clientId);
    const lastTokens = await tokensOf(accounts.a, made.a);
    expect((await accounts.a.request('DELETE', `/api/connections/${made.a}`)).status).toBeLessThan(300);
    // Revoked at the provider, which accepts a revocation only from the token's own client.
    expect((await provider.introspect(lastTokens.refresh_token)).active).toBe(false);
    // ... and a new flow of account a now has no app at all.
    expect((await accounts.a.newOAuth2Request({ datasource_id: TYPE, validity_duration: 600 })).status).toBe(422);

    // No client secret in MongoDB in plaintext: the app and the connections carry envelopes.
    const stored = await store.db.collection('oauth_apps').find({}).toArray();
    expect(stored.length).toBeGreaterThan(0);
    const everything = JSON.stringify([
      stored,
      await store.db.collection('connections').find({}).toArray(),
      await store.db.collection('oauth_requests').find({}).toArray(),
    ]);
    expect(everything).toContain(clients.b.clientId);
    expect(everything.includes(clients.a.clientSecret), 'account a secret in MongoDB').toBe(false);
    expect(everything.includes(clients.b.clientSecret), 'account b secret in MongoDB').toBe(false);

    // Nor in the connection's Temporal history, its payloads opened with the codec.
    const temporal = await connectTestTemporal();
    const history = await temporal.workflow.getHandle(connectionWorkflowId(made.b)).fetchHistory();
    await temporal.connection.close();
    const decoded = await new EncryptionCodec(keyRing).decode(payloadsOf(history));
    const historyText = decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(historyText).toContain(made.b);
    expect(historyText.includes(clients.b.clientSecret), 'account b secret in Temporal history').toBe(false);
  });
});
