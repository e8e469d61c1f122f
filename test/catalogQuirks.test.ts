import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Store } from '../lib/store/openStore.js';
import {
  createDemoProvider,
  type DemoProvider,
  type DemoProviderOptions,
} from '../scripts/dev/demoProvider/createDemoProvider.js';
import { freePort } from '../scripts/dev/servers/freePort.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { useInProcessService } from './support/inProcessService.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, openTestStore, stack } from './support/testStack.js';

/**
 * Catalog conformance: one real oidc-provider per quirk class, each enforcing its quirk (a client
 * that does not honour it fails there), described by catalog files in a directory passed as
 * CONNECTFLOW_EXTRA_PROVIDERS to an API and worker of this file. Users authorize by following the
 * provider's redirects (no browser); its redirect lands on the stack's callback.
 */

const callback = `${stack.apiUrl}/oauth2/callback`;
const client = { clientId: 'connectflow-quirks', clientSecret: randomBytes(24).toString('base64url') };
const HOST_PATTERN = '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$';

interface Quirk {
  options?: Omit<DemoProviderOptions, 'clients' | 'port' | 'host'>;
  /** catalog-file fields besides the endpoints */
  entry?: Record<string, unknown>;
  /** only the issuer in the file: endpoints by discovery */
  discovery?: boolean;
}

const QUIRKS: Record<string, Quirk> = {
  quirk_basic: {
    options: { quirks: { clientAuth: 'client_secret_basic' } },
    entry: { token_endpoint_auth_method: 'client_secret_basic' },
  },
  quirk_post: {
    options: { quirks: { clientAuth: 'client_secret_post' } },
    entry: { token_endpoint_auth_method: 'client_secret_post' },
  },
  quirk_no_pkce: { options: { quirks: { refusePkce: true } }, entry: { pkce: 'refused' } },
  quirk_comma: {
    options: { quirks: { scopeSeparator: ',' } },
    entry: { scope_separator: ',', default_scopes: ['read', 'write'] },
  },
  quirk_instance_url: {
    options: { quirks: { tokenResponseFields: { instance_url: 'https://acme.my.example.com' } } },
    entry: { provider_data_fields: ['instance_url'], api_base_uri_from: 'instance_url' },
  },
  quirk_realm_id: {
    options: { quirks: { callbackParams: { realmId: '9130355' } } },
    entry: { callback_params: ['realmId'] },
  },
  quirk_json_body: {
    options: { quirks: { jsonTokenRequests: true, clientAuth: 'client_secret_post' } },
    entry: { token_request_format: 'json', token_endpoint_auth_method: 'client_secret_post' },
  },
  quirk_auth_params: {
    options: { quirks: { authorizationParams: { access_type: 'offline', prompt: 'consent' } } },
    entry: { authorization_params: { access_type: 'offline', prompt: 'consent' } },
  },
  quirk_token_params: {
    options: { quirks: { tokenParams: { action: 'requesttoken' } } },
    entry: { token_params: { action: 'requesttoken' } },
  },
  quirk_nested_tokens: {
    options: { quirks: { nestTokensUnder: 'authed_user' } },
    entry: { token_response_path: 'authed_user' },
  },
  quirk_refresh_not_before: {
    options: { accessTokenTtlSeconds: 3600 },
    entry: { refresh: { refresh_not_before_seconds: 600 } },
  },
  quirk_string_expiry: { options: { accessTokenTtlSeconds: 3600, statedExpiresIn: '3600' } },
  quirk_never_expires: {
    options: { accessTokenTtlSeconds: 3600 },
    entry: { refresh: { access_token_never_expires: true } },
  },
  quirk_discovery: { discovery: true },
};

const providers = new Map<string, DemoProvider>();
/** the two servers a `{host}` template chooses between: same port, two loopback addresses */
const hosts: Record<'a' | 'b', { host: string; provider?: DemoProvider }> = {
  a: { host: '127.0.0.2' },
  b: { host: '127.0.0.3' },
};
let catalogDir: string;
let store: Store;
const env: Record<string, string> = {};

beforeAll(async () => {
  store = await openTestStore();
  catalogDir = await mkdtemp(join(tmpdir(), 'connectflow-quirks-'));
  const files: Record<string, unknown>[] = [];
  const start = (options: Quirk['options'], at: { host?: string; port?: number } = {}) =>
    createDemoProvider({ ...options, ...at, clients: [{ ...client, redirectUris: [callback] }] });
  const base = (id: string) => ({
    id,
    name: `Quirk ${id}`,
    categories: ['developer-tools'],
    docs_url: 'https://github.com/panva/node-oidc-provider',
    default_scopes: ['read'],
  });
  for (const [id, quirk] of Object.entries(QUIRKS)) {
    const provider = await start(quirk.options);
    providers.set(id, provider);
    const endpoints = quirk.discovery
      ? { issuer: provider.issuer }
      : {
          authorization_endpoint: `${provider.issuer}/auth`,
          token_endpoint: `${provider.issuer}/token`,
          revocation_endpoint: `${provider.issuer}/token/revocation`,
        };
    files.push({ ...base(id), ...endpoints, ...quirk.entry });
  }
  // Two servers on one port, told apart by the host a connection's `{host}` fills in.
  for (let attempt = 0; !hosts.b.provider; attempt++) {
    hosts.a.provider = await start({}, { host: hosts.a.host });
    hosts.b.provider = await start({}, { host: hosts.b.host, port: hosts.a.provider.port }).catch(async (err) => {
      await hosts.a.provider?.close();
      if (attempt >= 5) throw err;
      return undefined;
    });
  }
  const port = hosts.a.provider!.port;
  files.push({
    ...base('quirk_templated'),
    authorization_endpoint: `http://{host}:${port}/auth`,
    token_endpoint: `http://{host}:${port}/token`,
    revocation_endpoint: `http://{host}:${port}/token/revocation`,
    api_base_uri: `http://{host}:${port}/api`,
    connection_config: { host: { pattern: HOST_PATTERN, description: 'The server host (e.g. gitlab.acme.com)' } },
  });
  // Discovery at a port nothing listens on.
  files.push({ ...base('quirk_discovery_down'), issuer: `http://127.0.0.1:${await freePort()}` });
  for (const file of files) {
    await writeFile(join(catalogDir, `${String(file.id)}.yaml`), stringify(file));
    const prefix = `CONNECTFLOW_PROVIDER_${String(file.id).toUpperCase()}`;
    env[`${prefix}_CLIENT_ID`] = client.clientId;
    env[`${prefix}_CLIENT_SECRET`] = client.clientSecret;
  }
  env.CONNECTFLOW_EXTRA_PROVIDERS = catalogDir;
});

const service = useInProcessService(() => store, env);

afterAll(async () => {
  for (const provider of [...providers.values(), hosts.a.provider, hosts.b.provider]) await provider?.close();
  await store?.close();
  if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
});

/** A new OAuth2 request, authorized by the user; returns the auth_uri and the callback page's outcome. */
async function connect(rivery: RiveryClient, datasourceId: string, extra: Record<string, unknown> = {}) {
  const created = await rivery.newOAuth2Request({ datasource_id: datasourceId, validity_duration: 600, ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const redirect = await authorizeByRedirects(created.body.auth_uri, callback);
  const landing = await fetch(redirect, { headers: { accept: 'application/json' } });
  const outcome = (await landing.json()) as Record<string, any>;
  expect(outcome, JSON.stringify(outcome)).toMatchObject({ connected: true });
  return {
    authUri: new URL(created.body.auth_uri),
    pullId: created.body.pull_id as string,
    id: outcome.connection_id as string,
    redirect,
  };
}

const view = async (rivery: RiveryClient, id: string) => (await rivery.getConnection(id)).body;

describe('the catalog routes', () => {
  it('list every catalog file (filtered by q and category) and show one entry whole; an unknown id is 404', async () => {
    const { rivery } = service;
    const bundled = (await readdir('catalog')).filter((n) => n.endsWith('.yaml')).length;
    const all = await rivery.connectionTypes();
    expect(all.status).toBe(200);
    expect(all.body.length).toBeGreaterThanOrEqual(bundled + Object.keys(QUIRKS).length + 2);
    const zendesk = all.body.find((t: { datasource_id: string }) => t.datasource_id === 'zendesk');
    expect(zendesk).toMatchObject({
      name: expect.stringContaining('Zendesk'),
      oauth: true,
      categories: ['support'],
      configured: false,
      connection_config: { subdomain: { description: expect.any(String) } },
      docs_url: expect.stringMatching(/^https:\/\//),
    });
    expect(all.body.find((t: { datasource_id: string }) => t.datasource_id === 'quirk_basic').configured).toBe(true);

    const found = await rivery.request('GET', '/api/connection_types?q=ZENDESK');
    expect(found.body.map((t: { datasource_id: string }) => t.datasource_id)).toContain('zendesk');
    expect(found.body.length).toBeLessThan(5);
    const crm = await rivery.request('GET', '/api/connection_types?category=crm');
    expect(crm.body.length).toBeGreaterThan(3);
    expect(crm.body.every((t: { categories: string[] }) => t.categories.includes('crm'))).toBe(true);

    const one = await rivery.request('GET', '/api/connection_types/zendesk');
    expect(one.body).toMatchObject({
      datasource_id: 'zendesk',
      authorization_endpoint: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
      token_endpoint: 'https://{subdomain}.zendesk.com/oauth/tokens',
      default_scopes: ['read'],
      scope_separator: ' ',
      api_base_uri: 'https://{subdomain}.zendesk.com/api/v2',
      connection_config: { subdomain: { pattern: expect.stringMatching(/^\^/), description: expect.any(String) } },
      docs_url: expect.stringMatching(/^https:\/\//),
    });
    // Rivery's id for Google Sheets answers with the google_sheets entry.
    expect((await rivery.request('GET', '/api/connection_types/gspreadsheet')).body).toMatchObject({
      datasource_id: 'google_sheets',
      aliases: ['gspreadsheet'],
    });
    const unknown = await rivery.request('GET', '/api/connection_types/no_such_source');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: expect.any(String), details: expect.anything() });
  });
});

describe('quirk conformance against real oidc-provider servers', () => {
  it('client_secret_basic and client_secret_post: each token endpoint sees (and accepts only) its method', async () => {
    const { rivery } = service;
    for (const [id, method] of [
      ['quirk_basic', 'client_secret_basic'],
      ['quirk_post', 'client_secret_post'],
    ] as const) {
      const provider = providers.get(id)!;
      const { id: connectionId } = await connect(rivery, id);
      const refreshed = await rivery.request('POST', `/api/connections/${connectionId}/refresh`);
      expect(refreshed.status).toBe(200);
      expect((await rivery.request('DELETE', `/api/connections/${connectionId}`)).status).toBeLessThan(300);
      expect(provider.counts.tokenByGrant).toMatchObject({ authorization_code: 1, refresh_token: 1 });
      expect(provider.counts.revocation).toBeGreaterThan(0);
      expect(new Set(provider.seen.clientAuth)).toEqual(new Set([method]));
    }
  });

  it('PKCE refused: no code_challenge is sent and the code is exchanged without a verifier', async () => {
    const { authUri, id } = await connect(service.rivery, 'quirk_no_pkce');
    expect(authUri.searchParams.has('code_challenge')).toBe(false);
    expect(authUri.searchParams.has('code_challenge_method')).toBe(false);
    expect((await view(service.rivery, id)).status).toBe('active');
  });

  it('a comma scope separator reaches the provider, and the scopes are granted', async () => {
    const { authUri, id } = await connect(service.rivery, 'quirk_comma');
    expect(authUri.searchParams.get('scope')).toBe('read,write');
    expect(providers.get('quirk_comma')!.seen.authorizationScopes).toContain('read,write');
    expect((await view(service.rivery, id)).scopes.sort()).toEqual(['read', 'write']);
  });

  it('instance_url from the token response is kept as providerData and used as the api_base_uri', async () => {
    const { rivery } = service;
    const { id, pullId } = await connect(rivery, 'quirk_instance_url');
    expect(await view(rivery, id)).toMatchObject({
      apiBaseUri: 'https://acme.my.example.com',
      providerData: { instance_url: 'https://acme.my.example.com' },
    });
    expect((await rivery.getCredentials({ pull_id: pullId })).body).toMatchObject({
      instance_url: 'https://acme.my.example.com',
    });
  });

  it('realmId from the callback query is kept as providerData', async () => {
    const { id, redirect } = await connect(service.rivery, 'quirk_realm_id');
    expect(redirect.searchParams.get('realmId')).toBe('9130355');
    expect((await view(service.rivery, id)).providerData).toEqual({ realmId: '9130355' });
  });

  it('a {host} template filled from connection_config picks the server for authorization, token (exchange and refresh) and revocation', async () => {
    const { rivery } = service;
    const a = hosts.a.provider!;
    const b = hosts.b.provider!;
    const { authUri, id } = await connect(rivery, 'quirk_templated', { connection_config: { host: hosts.b.host } });
    expect(authUri.origin).toBe(b.issuer);
    expect(await view(rivery, id)).toMatchObject({
      connectionConfig: { host: hosts.b.host },
      apiBaseUri: `${b.issuer}/api`,
    });
    expect((await rivery.request('POST', `/api/connections/${id}/refresh`)).status).toBe(200);
    expect((await rivery.request('DELETE', `/api/connections/${id}`)).status).toBeLessThan(300);
    expect(b.counts.tokenByGrant).toMatchObject({ authorization_code: 1, refresh_token: 1 });
    expect(b.counts.revocation).toBeGreaterThan(0);
    expect(a.counts).toMatchObject({ token: 0, revocation: 0 });

    const other = await connect(rivery, 'quirk_templated', { connection_config: { host: hosts.a.host } });
    expect(other.authUri.origin).toBe(a.issuer);
    expect(a.counts.tokenByGrant).toMatchObject({ authorization_code: 1 });
  });

  it('discovery by issuer alone: endpoints come from the provider; a failing discovery is listed and its flows answer 502', async () => {
    const { rivery } = service;
    const provider = providers.get('quirk_discovery')!;
    const { authUri } = await connect(rivery, 'quirk_discovery');
    expect(`${authUri.origin}${authUri.pathname}`).toBe(`${provider.issuer}/auth`);
    expect((await rivery.request('GET', '/api/connection_types/quirk_discovery')).body).toMatchObject({
      issuer: provider.issuer,
      token_endpoint: `${provider.issuer}/token`,
    });

    const down = await rivery.newOAuth2Request({ datasource_id: 'quirk_discovery_down', validity_duration: 600 });
    expect(down.status).toBe(502);
    expect(down.body).toMatchObject({ error: 'discovery_failed', message: expect.stringContaining('discovery') });
    const listed = (await rivery.connectionTypes()).body.find(
      (t: { datasource_id: string }) => t.datasource_id === 'quirk_discovery_down',
    );
    expect(listed.discovery_error).toBe(down.body.message);
  });

  it('a token endpoint that takes JSON bodies gets JSON, for the exchange and the refresh', async () => {
    const { rivery } = service;
    const { id } = await connect(rivery, 'quirk_json_body');
    expect((await rivery.request('POST', `/api/connections/${id}/refresh`)).status).toBe(200);
    const seen = providers.get('quirk_json_body')!.seen.tokenContentTypes;
    expect(seen).toHaveLength(2);
    expect(seen.every((type) => type.startsWith('application/json'))).toBe(true);
  });

  it('extra authorization parameters reach the provider, which refuses a request without them', async () => {
    const { authUri, id } = await connect(service.rivery, 'quirk_auth_params');
    expect(authUri.searchParams.get('access_type')).toBe('offline');
    expect(authUri.searchParams.get('prompt')).toBe('consent');
    expect((await view(service.rivery, id)).status).toBe('active');
  });

  it('extra token parameters are sent with the exchange and the refresh (the provider refuses requests without them)', async () => {
    const { rivery } = service;
    const { id } = await connect(rivery, 'quirk_token_params');
    expect((await rivery.request('POST', `/api/connections/${id}/refresh`)).status).toBe(200);
    expect(providers.get('quirk_token_params')!.counts.tokenByGrant).toMatchObject({
      authorization_code: 1,
      refresh_token: 1,
    });
  });

  it("tokens nested in the token response (as Slack's authed_user) are found, on the exchange and the refresh", async () => {
    const { rivery } = service;
    const { id, pullId } = await connect(rivery, 'quirk_nested_tokens');
    const credentials = (await rivery.getCredentials({ pull_id: pullId })).body;
    expect(credentials.access_token).toEqual(expect.any(String));
    expect(credentials.refresh_token).toEqual(expect.any(String));
    const refreshed = await rivery.request('POST', `/api/connections/${id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.credentials.access_token).not.toBe(credentials.access_token);
  });

  it('a provider that refuses early refreshes is not asked while the token has more than its window left', async () => {
    const { rivery } = service;
    const { id } = await connect(rivery, 'quirk_refresh_not_before');
    const before = await view(rivery, id);
    const refreshed = await rivery.request('POST', `/api/connections/${id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ status: 'active', tokenExpiresAt: before.tokenExpiresAt });
    expect(providers.get('quirk_refresh_not_before')!.counts.tokenByGrant).toEqual({ authorization_code: 1 });
  });

  it('expires_in as a string is read as seconds; a provider whose tokens never expire gets no expiry', async () => {
    const { rivery } = service;
    const before = Date.now();
    const stringy = await view(rivery, (await connect(rivery, 'quirk_string_expiry')).id);
    const lifetime = Date.parse(stringy.tokenExpiresAt) - before;
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThan(3610_000);
    expect((await view(rivery, (await connect(rivery, 'quirk_never_expires')).id)).tokenExpiresAt).toBeNull();
  });
});

describe('connection_config input', () => {
  it.each([
    ['a value with /', { host: 'gitlab.acme.com/evil' }, 'host'],
    ['a value with @', { host: 'user@evil.com' }, 'host'],
    ['a value with :', { host: 'evil.com:443' }, 'host'],
    ['a private address', { host: '10.0.0.1' }, 'host'],
    ['a missing field', {}, 'host'],
    ['an undeclared field', { host: 'gitlab.acme.com', tenant: 'x' }, 'tenant'],
  ])('%s is a 400 naming the field, and nothing is started', async (_what, config, field) => {
    const account = await newAccount(store);
    const rivery = new RiveryClient(service.service.url, account.token);
    const res = await rivery.newOAuth2Request({
      datasource_id: 'quirk_templated',
      validity_duration: 600,
      connection_config: config,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_connection_config', message: expect.stringContaining(field) });
    expect(res.body.details[0].path).toBe(`body.connection_config.${field}`);
    expect(await store.oauthRequests.countDocuments({ accountId: account.accountId })).toBe(0);
  });

  it('a subdomain that would move to another domain (.evil.com) is refused by the catalog pattern, in the browser flow too', async () => {
    const account = await newAccount(store);
    const rivery = new RiveryClient(service.service.url, account.token);
    const res = await rivery.newOAuth2Request({
      datasource_id: 'zendesk',
      validity_duration: 600,
      connection_config: { subdomain: 'acme.evil.com' },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('subdomain');
    const query = encodeURIComponent(JSON.stringify({ subdomain: 'x/..' }));
    const browser = await fetch(
      `${service.service.url}/api/connection_types/zendesk/connect?connection_config=${query}`,
      {
        headers: { authorization: `Bearer ${account.token}` },
        redirect: 'manual',
      },
    );
    expect(browser.status).toBe(400);
    expect(((await browser.json()) as { message: string }).message).toContain('subdomain');
    expect(await store.oauthRequests.countDocuments({ accountId: account.accountId })).toBe(0);
  });
});
