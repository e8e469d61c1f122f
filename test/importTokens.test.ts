import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintFlowSecret } from '../lib/store/flowSecrets.js';
import type { Store } from '../lib/store/openStore.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { IntegrationsClient } from './support/IntegrationsClient.js';
import { providerControl } from './support/providerControl.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, openTestStore, stack } from './support/testStack.js';
import { revokeAtProvider, tokensFromProvider } from './support/tokensFromProvider.js';
import { waitUntil } from './support/waitUntil.js';

/**
 * Tokens an application obtained at the provider itself (oidc-provider, code + PKCE with
 * oauth4webapi) imported into connectflow: proven by one refresh, kept fresh, never imported twice;
 * and a flow's secret_id redeemed in place of credentials.
 */

const imports = providerControl('imports');
let store: Store;
let admin: RiveryClient;
let accountId: string;

beforeAll(async () => {
  store = await openTestStore();
  const account = await newAccount(store, ['connection:read', 'connection:edit', 'account:admin']);
  admin = new RiveryClient(stack.apiUrl, account.token);
  accountId = account.accountId;
});

afterAll(async () => {
  await store?.close();
});

const importBody = (credentials: Record<string, unknown>, name = 'Imported') => ({
  connection_type: 'imports',
  connection_name: name,
  credentials,
});

describe('PUT /api/connections with tokens obtained elsewhere', () => {
  it('imports a refresh token: refreshed once before answering, its new tokens work, a repeat never duplicates', async () => {
    const tokens = await tokensFromProvider('imports');
    const before = await imports.refreshCalls();
    const credentials = { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
    const saved = await admin.createConnection(importBody(credentials));
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ connection_name: 'Imported', message: 'connection imported' });
    expect(await imports.refreshCalls()).toBe(before + 1);

    const id: string = saved.body._id;
    const shown = await admin.getConnection(id, '?include_credentials=true');
    expect(shown.body).toMatchObject({ status: 'active', connection_type: 'imports', connection_name: 'Imported' });
    expect(shown.body.lastRefreshedAt).not.toBeNull();
    expect(Date.parse(shown.body.tokenExpiresAt)).toBeGreaterThan(Date.now() + 3000_000);
    // What is stored is what the refresh issued: the imported tokens were rotated away.
    expect(shown.body.credentials.access_token).not.toBe(tokens.access_token);
    expect(shown.body.credentials.refresh_token).not.toBe(tokens.refresh_token);
    expect(await imports.introspect(shown.body.credentials.access_token)).toBe(true);
    expect(await imports.introspect(tokens.refresh_token!)).toBe(false);

    const repeat = await admin.createConnection(importBody(credentials));
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ _id: id, message: 'connection imported already' });
    const other = await admin.createConnection(importBody(credentials, 'Another name'));
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: 'already_imported', details: { connection_id: id } });
    expect(await imports.refreshCalls()).toBe(before + 1);
    const listed = (await admin.listConnections()).body.items.filter((c: { _id: string }) => c._id === id);
    expect(listed).toHaveLength(1);
  });

  it('refuses a revoked refresh token with the provider error (422) and stores nothing', async () => {
    const tokens = await tokensFromProvider('imports');
    await revokeAtProvider('imports', tokens.refresh_token!);
    const total = (await admin.listConnections()).body.total;
    const refused = await admin.createConnection(importBody({ refresh_token: tokens.refresh_token }));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', details: { error: 'invalid_grant' } });
    expect((await admin.listConnections()).body.total).toBe(total);
    expect(await store.tokenImports.countDocuments({ accountId, status: 'pending' })).toBe(0);
    // Refused once, refused again: the failed import kept no claim on the token.
    expect((await admin.createConnection(importBody({ refresh_token: tokens.refresh_token }))).status).toBe(422);
  });

  it("keeps an imported connection fresh through its workflow; deleting it revokes the provider's tokens", async () => {
    const tokens = await tokensFromProvider('imports_short');
    const saved = await admin.createConnection({
      connection_type: 'imports_short',
      connection_name: 'Short-lived',
      credentials: { refresh_token: tokens.refresh_token, expires_in: tokens.expires_in },
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const id: string = saved.body._id;
    const first = (await admin.getConnection(id)).body.lastRefreshedAt;
    const later = await waitUntil(
      'two planned refreshes of the imported connection',
      async () => {
        const refreshed = (await store.events.countDocuments({ connectionId: id, type: 'connection.refreshed' })) >= 2;
        return refreshed && (await admin.getConnection(id, '?include_credentials=true')).body;
      },
      30_000,
    );
    expect(Date.parse(later.lastRefreshedAt)).toBeGreaterThan(Date.parse(first));
    expect(await providerControl('imports_short').introspect(later.credentials.access_token)).toBe(true);

    expect((await admin.request('DELETE', `/api/connections/${id}`)).status).toBe(204);
    const revoked = later.credentials.refresh_token;
    await waitUntil(
      'the revocation at the provider',
      async () => !(await providerControl('imports_short').introspect(revoked)),
    );
  });

  it('keeps an access token without a refresh token as given, with its stated lifetime', async () => {
    const tokens = await tokensFromProvider('imports');
    const before = await imports.refreshCalls();
    const expiresAt = new Date(Date.now() + 1800_000).toISOString();
    const saved = await admin.createConnection(
      importBody({ access_token: tokens.access_token, expires_at: expiresAt }, 'Access only'),
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    const shown = (await admin.getConnection(saved.body._id, '?include_credentials=true')).body;
    expect(shown.credentials.access_token).toBe(tokens.access_token);
    expect(shown.tokenExpiresAt).toBe(expiresAt);
    expect(shown.lastRefreshedAt).toBeNull();
    expect(await imports.refreshCalls()).toBe(before);
  });

  it('refuses bad import bodies with 400', async () => {
    const cases = [
      importBody({}),
      importBody({ access_token: 'x', expires_in: 60, expires_at: new Date().toISOString() }),
      { connection_type: 'imports', connection_name: 'Both', credentials: { access_token: 'x' }, secret_id: 'y' },
      { connection_type: 'no_such_type', connection_name: 'Unknown', credentials: { access_token: 'x' } },
    ];
    for (const body of cases) {
      const answer = await admin.createConnection(body as never);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
  });
});

describe('POST /api/integrations/{id}/connect with a refresh token', () => {
  it("creates the end user's connection (201), answers a repeat with it (200), and refuses a second one", async () => {
    const put = await admin.request('PUT', '/api/integrations/imported-crm', {
      type: 'imports',
      name: 'Imported CRM',
      mode: 'per_user',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const minted = await admin.request('POST', '/api/tokens', {
      name: 'erin',
      scopes: ['connection:read', 'connection:edit'],
      user_id: 'erin',
    });
    const erin = new IntegrationsClient(stack.apiUrl, minted.body.token);
    const tokens = await tokensFromProvider('imports');
    const created = await erin.connect('imported-crm', { refresh_token: tokens.refresh_token });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ integrationId: 'imported-crm', ownerId: 'erin', isShared: false });
    expect((await erin.connection('imported-crm')).body.id).toBe(created.body.id);
    const repeat = await erin.connect('imported-crm', { refresh_token: tokens.refresh_token });
    expect(repeat.status).toBe(200);
    expect(repeat.body.id).toBe(created.body.id);

    const more = await tokensFromProvider('imports');
    const second = await erin.connect('imported-crm', { refresh_token: more.refresh_token });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'already_connected', details: { connection_id: created.body.id } });
  });
});

describe("a flow's secret_id in place of credentials", () => {
  it('ends on redirect_url with secret_id; PUT /api/connections saves the connection with it once', async () => {
    const appUrl = 'https://app.example/connected';
    expect((await admin.request('PUT', '/api/account', { redirect_origins: ['https://app.example'] })).status).toBe(
      200,
    );
    const created = await admin.newOAuth2Request({
      datasource_id: 'imports',
      validity_duration: 600,
      redirect_url: appUrl,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const landed = await authorizeByRedirects(created.body.auth_uri, appUrl);
    const secretId = landed.searchParams.get('secret_id');
    const connectionId = landed.searchParams.get('connection_id');
    expect(secretId).toMatch(/^[\w-]{24,}$/);

    const body = { connection_type: 'imports', connection_name: 'Saved by secret_id', secret_id: secretId };
    const otherAccount = new RiveryClient(stack.apiUrl, (await newAccount(store)).token);
    expect((await otherAccount.createConnection(body as never)).status).toBe(404);
    const saved = await admin.createConnection(body as never);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ _id: connectionId, connection_name: 'Saved by secret_id' });
    expect((await admin.getConnection(connectionId!)).body.connection_name).toBe('Saved by secret_id');
    const again = await admin.createConnection(body as never);
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({ error: 'secret_used' });
  });

  it('refuses an expired secret_id (410) and an unknown one (404)', async () => {
    const tokens = await tokensFromProvider('imports');
    const imported = await admin.createConnection(importBody({ refresh_token: tokens.refresh_token }, 'For expiry'));
    const expired = await mintFlowSecret(store, {
      accountId,
      connectionId: imported.body._id,
      expiresAt: new Date(Date.now() - 1000),
    });
    const body = (secret_id: string) => ({ connection_type: 'imports', connection_name: 'Late', secret_id });
    const late = await admin.createConnection(body(expired) as never);
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({ error: 'secret_expired' });
    expect((await admin.createConnection(body('no-such-secret-id') as never)).status).toBe(404);
  });
});
