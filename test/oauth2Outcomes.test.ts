import { describe, expect, it } from 'vitest';
import { startConnectionFlow } from '../api/oauth2/startConnectionFlow.js';
import { ConnectionStatusAttribute, connectionWorkflowId } from '../lib/temporal/names.js';
import { authorizeInBrowser } from './support/browser.js';
import { providerControl } from './support/providerControl.js';
import { RiveryClient } from './support/RiveryClient.js';
import { waitUntil } from './support/waitUntil.js';
import { newAccount, stack, testTiming } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

describe('outcomes other than success', () => {
  it('a user who denies consent sees the provider error, and credentials answer 422 with it', async () => {
    const account = await newAccount(clients.store);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    const { body } = await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });

    const landing = await authorizeInBrowser(clients.browser, body.auth_uri, { deny: true });
    expect(landing.status).toBe(422);
    expect(landing.result).toMatchObject({ connected: false, error: 'access_denied' });

    const credentials = await rivery.getCredentials({ pull_id: body.pull_id });
    expect(credentials.status).toBe(422);
    expect(credentials.body).toMatchObject({ error: 'access_denied', message: expect.stringMatching(/aborted/i) });
    expect((await rivery.listConnections()).body.total).toBe(0);
  });

  it('a token endpoint that takes the code and never answers: the code is sent once, the flow ends exchange_interrupted', async () => {
    const provider = providerControl('hangs');
    const rivery = new RiveryClient(stack.apiUrl, (await newAccount(clients.store)).token);
    const { body } = await rivery.newOAuth2Request({ datasource_id: 'hangs', validity_duration: 600 });
    const exchangesBefore = (await provider.counts()).tokenByGrant.authorization_code ?? 0;
    await provider.setFault({ hang: true });
    try {
      const landing = await authorizeInBrowser(clients.browser, body.auth_uri);
      expect(landing.result).toMatchObject({ connected: false, error: 'exchange_interrupted' });
    } finally {
      await provider.setFault(null);
    }
    const credentials = await rivery.getCredentials({ pull_id: body.pull_id });
    expect(credentials.status).toBe(422);
    expect(credentials.body).toMatchObject({
      error: 'exchange_interrupted',
      message: expect.stringContaining('authorize again'),
    });
    expect(((await provider.counts()).tokenByGrant.authorization_code ?? 0) - exchangesBefore).toBe(1);
  }, 60_000);

  it('a request whose validity passes before the user authorizes answers 410, and its late callback is refused', async () => {
    const account = await newAccount(clients.store);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    // Below the API's 300 s floor on purpose: the workflow is started directly with a 3 s window.
    const issued = await startConnectionFlow(clients.temporal, 'connectflow', testTiming, {
      accountId: account.accountId,
      provider: 'demo',
      validitySeconds: 3,
      scopes: null,
      redirectUrl: null,
      connectionName: null,
    });
    expect((await rivery.getCredentials({ pull_id: issued.pullId })).status).toBe(202);

    const gone = await waitUntil('the request to expire', async () => {
      const res = await rivery.getCredentials({ pull_id: issued.pullId });
      return res.status === 410 ? res : undefined;
    });
    expect(gone.body).toMatchObject({ error: 'expired', message: expect.stringContaining('expired') });

    const workflow = await waitUntil('the workflow to end', async () => {
      const now = await clients.temporal.workflow.getHandle(connectionWorkflowId(issued.connectionId)).describe();
      return now.status.name === 'RUNNING' ? undefined : now;
    });
    expect(workflow.status.name).toBe('COMPLETED');
    expect(workflow.typedSearchAttributes.get(ConnectionStatusAttribute)).toBe('expired');

    // The user comes back late: the provider still issues a code, connectflow refuses it.
    const landing = await authorizeInBrowser(clients.browser, issued.authUri);
    expect(landing.status).toBe(410);
    expect(landing.result).toMatchObject({ connected: false, error: 'expired' });
  });

  it('a replayed or unknown state gets an error page and delivers nothing', async () => {
    const account = await newAccount(clients.store);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    const { body } = await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
    const landing = await authorizeInBrowser(clients.browser, body.auth_uri);
    expect(landing.result.connected).toBe(true);
    const before = await clients.store.connections.findOne({ _id: landing.result.connection_id });
    const handle = clients.temporal.workflow.getHandle(connectionWorkflowId(landing.result.connection_id));
    const historyLength = (await handle.describe()).historyLength;

    const replay = await fetch(landing.url, { headers: { accept: 'application/json' } });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ connected: false, error: 'already_used' });

    const unknown = await fetch(`${stack.apiUrl}/oauth2/callback?code=abc&state=not-a-state-we-issued`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('does not belong to any request');

    const noState = await fetch(`${stack.apiUrl}/oauth2/callback?code=abc`, {
      headers: { accept: 'application/json' },
    });
    expect(noState.status).toBe(400);
    expect(await noState.json()).toMatchObject({ error: 'invalid_request' });

    expect(await clients.store.connections.findOne({ _id: landing.result.connection_id })).toEqual(before);
    expect((await handle.describe()).historyLength).toBe(historyLength);
  });
});
