import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { authorizationRequestIdOf } from '../lib/store/pullId.js';
import { connectionWorkflowId, webhookLaneWorkflowId } from '../lib/temporal/names.js';
import { PING_LANE } from '../lib/webhooks/queueDelivery.js';
import { waitUntil } from './support/waitUntil.js';
import { startWebhookReceiver } from './support/webhookReceiver.js';
import { authorizeInBrowser } from './support/browser.js';
import { authorizeByRedirects } from './support/authorizeByRedirects.js';
import { tokensFromProvider } from './support/tokensFromProvider.js';
import { RiveryClient } from './support/RiveryClient.js';
import { connectTestTemporal, keyRing, newAccount, stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

/** Everything a value holds, as searchable text: bytes both as UTF-8 and as base64. */
function textOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown) => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else if (v !== null && v !== undefined) parts.push(String(v));
  };
  walk(value);
  return parts.join('\n');
}

function collectPayloads(value: unknown, into: Payload[]): void {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return;
  const v = value as Record<string, unknown>;
  if (v.metadata && typeof v.metadata === 'object' && v.data instanceof Uint8Array) into.push(v as Payload);
  else for (const child of Object.values(v)) collectPayloads(child, into);
}

async function allHistoriesText(client: Client, workflowIds: string[]): Promise<string> {
  const texts: string[] = [];
  for (const workflowId of workflowIds) {
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      texts.push(textOf(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()));
    }
  }
  return texts.join('\n');
}

describe('no secret anywhere in plaintext', () => {
  it('after a flow and a refresh, MongoDB, Temporal history and the logs hold none of the secrets the test saw', async () => {
    const account = await newAccount(clients.store, ['account:admin']);
    const rivery = new RiveryClient(stack.apiUrl, account.token);
    const receiver = await startWebhookReceiver();
    const webhook = await rivery.request('PUT', '/api/webhook', { url: receiver.url });
    const created = await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 });
    const landing = await authorizeInBrowser(clients.browser, created.body.auth_uri);
    const callback = new URL(landing.url);
    const connectionId: string = landing.result.connection_id;
    const credentials = (await rivery.getCredentials({ pull_id: created.body.pull_id })).body;
    const refreshed = (await rivery.request('POST', `/api/connections/${connectionId}/refresh`)).body.credentials;
    // An account's own OAuth app: its secret goes through the API once and is stored only encrypted.
    const ownAppSecret = randomBytes(24).toString('base64url');
    const ownApp = await rivery.request('PUT', '/api/oauth_apps/github', {
      client_id: 'own-app',
      client_secret: ownAppSecret,
    });
    expect(ownApp.status).toBe(200);
    // An integration's own OAuth app, and an end user's API token minted through the API: likewise.
    const integrationSecret = randomBytes(24).toString('base64url');
    const integration = await rivery.request('PUT', '/api/integrations/scanned', {
      type: 'demo',
      name: 'Scanned',
      mode: 'per_user',
      client_id: 'integration-app',
      client_secret: integrationSecret,
    });
    expect(integration.status).toBe(200);
    const endUserToken = await rivery.request('POST', '/api/tokens', {
      name: 'end user',
      scopes: ['connection:read'],
      user_id: 'scanned-user',
    });
    expect(endUserToken.status).toBe(201);
    // Tokens obtained at the provider directly and imported; a flow's secret_id handed back to redirect_url.
    const outside = await tokensFromProvider('imports');
    const imported = await rivery.createConnection({
      connection_type: 'imports',
      connection_name: 'Scanned import',
      credentials: { access_token: outside.access_token, refresh_token: outside.refresh_token },
    });
    expect(imported.status).toBe(200);
    await rivery.request('PUT', '/api/account', { redirect_origins: ['https://app.example'] });
    const handedBack = await rivery.newOAuth2Request({
      datasource_id: 'demo',
      validity_duration: 600,
      redirect_url: 'https://app.example/done',
    });
    const secretId = (
      await authorizeByRedirects(handedBack.body.auth_uri, 'https://app.example/done')
    ).searchParams.get('secret_id')!;
    // The webhook's lanes have run: the connection's (connection.created; refreshed is not asked for) and the pings'.
    const ping = await rivery.request('POST', '/api/webhook/test');
    await waitUntil('the webhook messages', async () =>
      [
        ping.body.delivery_id,
        ...(await clients.store.events.find({ connectionId, type: { $ne: 'connection.refreshed' } }).toArray()).map(
          (e) => e._id,
        ),
      ].every((id) => receiver.accepted().some((m) => m.id === id)),
    );
    await receiver.close();
    // The connect page of the (now used) request: its address is logged with the id redacted.
    expect((await fetch(created.body.connect_uri)).status).toBe(410);

    const secrets: Record<string, string> = {
      'access token': credentials.access_token,
      'refresh token': credentials.refresh_token,
      'refreshed access token': refreshed.access_token,
      'authorization code': callback.searchParams.get('code')!,
      state: callback.searchParams.get('state')!,
      pull_id: created.body.pull_id,
      'connect page id': new URL(created.body.connect_uri).pathname.split('/').pop()!,
      'API token': account.token,
      'client secret': stack.appEnv.CONNECTFLOW_PROVIDER_DEMO_CLIENT_SECRET!,
      "an account's OAuth app secret": ownAppSecret,
      "an integration's OAuth app secret": integrationSecret,
      "an end user's API token": endUserToken.body.token,
      'webhook secret': webhook.body.secret,
      'imported access token': outside.access_token,
      'imported refresh token': outside.refresh_token!,
      secret_id: secretId,
      'webhook secret key': webhook.body.secret.replace(/^whsec_/, ''),
    };
    if (refreshed.refresh_token !== credentials.refresh_token)
      secrets['rotated refresh token'] = refreshed.refresh_token;
    for (const [name, value] of Object.entries(secrets)) expect(value, name).toMatch(/^.{16,}$/);

    // (a) every document of every collection, raw
    const mongoTexts: string[] = [];
    for (const { name } of await clients.store.db.listCollections().toArray()) {
      mongoTexts.push(textOf(await clients.store.db.collection(name).find({}).toArray()));
    }
    const mongoText = mongoTexts.join('\n');
    expect(mongoText).toContain(connectionId);

    // (b) the connection's workflow histories (every run) through a client without the codec
    const plainClient = new Client({
      connection: await Connection.connect({ address: stack.temporalAddress }),
      namespace: stack.temporalNamespace,
    });
    const workflowIds = [
      connectionWorkflowId(connectionId),
      connectionWorkflowId(imported.body._id),
      webhookLaneWorkflowId(account.accountId, connectionId),
      webhookLaneWorkflowId(account.accountId, PING_LANE),
    ];
    const historyText = await allHistoriesText(plainClient, workflowIds);
    await plainClient.connection.close();
    expect(historyText).toContain('connectionWorkflow');
    expect(historyText).toContain('webhookLaneWorkflow');
    // Control: the payloads in those histories are ciphertext (binary/encrypted) that the codec opens;
    // opened they show the authorization request's id (the scan reads what the history holds) but
    // still not its pull_id, which the API minted and never handed to Temporal.
    expect(historyText).toContain('binary/encrypted');
    const codecClient = await connectTestTemporal();
    const payloads: Payload[] = [];
    for (const workflowId of workflowIds) {
      for await (const run of codecClient.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        collectPayloads(await codecClient.workflow.getHandle(run.workflowId, run.runId).fetchHistory(), payloads);
      }
    }
    await codecClient.connection.close();
    const decodedText = textOf(await new EncryptionCodec(keyRing).decode(payloads));
    expect(decodedText).toContain(authorizationRequestIdOf(created.body.pull_id));
    expect(decodedText.includes(created.body.pull_id), 'pull_id in decoded Temporal payloads').toBe(false);
    expect(decodedText.includes(webhook.body.secret.slice(6)), 'webhook secret in decoded Temporal payloads').toBe(
      false,
    );

    // (c) everything the API and the worker logged
    const logDir = join(stack.dataDir, 'logs');
    const logText = readdirSync(logDir)
      .filter((f) => /^(api|worker)/.test(f))
      .map((f) => readFileSync(join(logDir, f), 'utf8'))
      .join('\n');
    expect(logText).toContain('/oauth2/callback');
    expect(logText).toContain('/connect/[redacted]');

    for (const [name, value] of Object.entries(secrets)) {
      expect(mongoText.includes(value), `${name} in MongoDB`).toBe(false);
      expect(historyText.includes(value), `${name} in Temporal history`).toBe(false);
      expect(logText.includes(value), `${name} in the logs`).toBe(false);
    }
  });
});
