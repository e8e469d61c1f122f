import { describe, expect, it } from 'vitest';
import { authorizeInBrowser } from './support/browser.js';
import { newAccount, stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

describe('the Rivery OAuth2 flow, end to end in a real browser', () => {
  it('connects, returns credentials, saves, updates and lists the connection with its tokens encrypted at rest', async () => {
    const types = await clients.rivery.connectionTypes();
    expect(types.status).toBe(200);
    const demo = types.body.find((t: { datasource_id: string }) => t.datasource_id === 'demo');
    expect(demo).toMatchObject({ datasource_id: 'demo', oauth: true, configured: true });

    const created = await clients.rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 1300 });
    expect(created.status).toBe(200);
    const { pull_id, auth_uri } = created.body;
    expect(pull_id).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const authUri = new URL(auth_uri);
    expect(authUri.origin).toBe(stack.providerIssuer);
    expect(authUri.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authUri.searchParams.get('redirect_uri')).toBe(`${stack.apiUrl}/oauth2/callback`);

    // Before the user has authorized: 202 pending.
    const early = await clients.rivery.getCredentials({ pull_id, auth_uri });
    expect(early).toEqual({ status: 202, body: expect.objectContaining({ status: 'pending' }) });

    const landing = await authorizeInBrowser(clients.browser, auth_uri);
    expect(landing.status).toBe(200);
    expect(landing.result).toMatchObject({ connected: true, datasource_id: 'demo' });
    const connectionId: string = landing.result.connection_id;

    const credentials = await clients.rivery.getCredentials({ pull_id, auth_uri });
    expect(credentials.status).toBe(200);
    expect(credentials.body).toMatchObject({
      connection_id: connectionId,
      datasource_id: 'demo',
      token_type: expect.stringMatching(/^bearer$/i),
      // the fields Rivery's own answer has, next to ours
      status_code: 200,
      expires_in: expect.any(Number),
      client_id: stack.appEnv.CONNECTFLOW_PROVIDER_DEMO_CLIENT_ID,
      application_id: null,
      scope: 'read',
      message: 'Connected to Demo provider',
    });
    expect(credentials.body.expires_in).toBeGreaterThan(3000);
    expect(credentials.body.access_token).toEqual(expect.any(String));
    expect(credentials.body.refresh_token).toEqual(expect.any(String));

    const saved = await clients.rivery.createConnection({
      connection_type: 'demo',
      connection_name: 'Sales demo',
      credentials: credentials.body,
    });
    expect(saved).toEqual({
      status: 200,
      body: { _id: connectionId, cross_id: connectionId, connection_name: 'Sales demo', message: 'connection saved' },
    });
    // Saving again adopts the same connection: no duplicate.
    const again = await clients.rivery.createConnection({
      connection_type: 'demo',
      connection_name: 'Sales demo',
      credentials: credentials.body,
    });
    expect(again.body._id).toBe(connectionId);

    const updated = await clients.rivery.updateConnection(connectionId, {
      connection_type: 'demo',
      connection_name: 'Sales demo (renamed)',
      credentials: credentials.body,
    });
    expect(updated.status).toBe(200);
    expect(updated.body.connection_name).toBe('Sales demo (renamed)');

    const list = await clients.rivery.listConnections('?page=1&page_size=10');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(1);
    expect(list.body.items).toHaveLength(1);
    const one = await clients.rivery.getConnection(connectionId);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      _id: connectionId,
      connection_name: 'Sales demo (renamed)',
      connection_type: 'demo',
      status: 'active',
      scopes: ['read'],
      tokenExpiresAt: expect.any(String),
      lastAuthorizedAt: expect.any(String),
    });
    for (const shown of [JSON.stringify(one.body), JSON.stringify(list.body)]) {
      expect(shown).not.toContain(credentials.body.access_token);
      expect(shown).not.toContain(credentials.body.refresh_token);
    }

    // At rest: the stored document holds an envelope, never the tokens.
    const raw = await clients.store.connections.findOne({ _id: connectionId });
    expect(raw?.credentials).toMatch(/^cf1\.test1\./);
    const rawText = JSON.stringify(raw);
    expect(rawText).not.toContain(credentials.body.access_token);
    expect(rawText).not.toContain(credentials.body.refresh_token);
    const rawRequest = JSON.stringify(await clients.store.oauthRequests.findOne({ connectionId }));
    expect(rawRequest).not.toContain(pull_id);
    expect(rawRequest).not.toContain(authUri.searchParams.get('state'));
  });

  it('the browser flow: GET /api/connection_types/demo/connect redirects to the provider and completes the same way', async () => {
    const res = await fetch(`${stack.apiUrl}/api/connection_types/demo/connect?connection_name=From%20a%20link`, {
      headers: { authorization: `Bearer ${(await newAccount(clients.store)).token}` },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${stack.providerIssuer}/auth?`)).toBe(true);
    const landing = await authorizeInBrowser(clients.browser, location);
    expect(landing.result).toMatchObject({ connected: true, datasource_id: 'demo' });
    expect((await clients.store.connections.findOne({ _id: landing.result.connection_id }))?.name).toBe('From a link');

    const unknown = await fetch(`${stack.apiUrl}/api/connection_types/nope/connect`, {
      headers: { authorization: `Bearer ${(await newAccount(clients.store)).token}` },
      redirect: 'manual',
    });
    expect(unknown.status).toBe(400);
  });
});
