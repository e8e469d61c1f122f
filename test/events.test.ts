import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../lib/store/documents.js';
import { authorizationRequestIdOf, newPullId } from '../lib/store/pullId.js';
import { connectionWorkflowId } from '../lib/temporal/names.js';
import { reauthorizeUpdate } from '../workflows/connectionMessages.js';
import { authorizeInBrowser } from './support/browser.js';
import { connectInBrowser, storedCredentials } from './support/connectInBrowser.js';
import { providerControl } from './support/providerControl.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';
import { signatureHeaders, startWebhookReceiver } from './support/webhookReceiver.js';

const clients = useStackClients();
let admin: RiveryClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let secret: string;

beforeAll(async () => {
  admin = new RiveryClient(stack.apiUrl, (await newAccount(clients.store, ['account:admin'])).token);
  receiver = await startWebhookReceiver();
});
afterAll(async () => receiver?.close());

interface ListedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

/** Every event GET /api/events lists for the query, read in pages of `limit` by cursor. */
async function listEvents(query: string, limit = 3): Promise<ListedEvent[]> {
  const all: ListedEvent[] = [];
  for (let after: string | null = null; ;) {
    const res = await admin.request('GET', `/api/events?${query}&limit=${limit}${after ? `&after=${after}` : ''}`);
    expect(res.status).toBe(200);
    all.push(...res.body.items);
    if (res.body.items.length < limit) return all;
    after = res.body.next_cursor;
  }
}

const storedEvent = (connectionId: string, type: string) => async () =>
  (await clients.store.events.findOne({ connectionId, type: type as never })) ?? undefined;

describe('events and webhooks', () => {
  it('registers an endpoint: the secret is answered once, private or plain-http URLs are refused with 400', async () => {
    const refused = [
      'https://10.1.2.3/hooks',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.0.10/hooks',
      'https://[fd00::1]/hooks',
      'https://[::ffff:10.0.0.1]/hooks',
      'http://93.184.215.14/hooks',
      'https://user:pass@93.184.215.14/hooks',
    ];
    for (const url of refused) {
      const res = await admin.request('PUT', '/api/webhook', { url });
      expect(res.status, url).toBe(400);
      expect(res.body).toMatchObject({ error: 'webhook_url_not_allowed', message: expect.any(String) });
    }
    const readOnly = new RiveryClient(stack.apiUrl, (await newAccount(clients.store, ['connection:edit'])).token);
    expect((await readOnly.request('PUT', '/api/webhook', { url: receiver.url })).status).toBe(403);

    const created = await admin.request('PUT', '/api/webhook', { url: receiver.url, events: [...EVENT_TYPES] });
    expect(created.status).toBe(201);
    secret = created.body.secret;
    expect(secret).toMatch(/^whsec_/);
    const shown = await admin.request('GET', '/api/webhook');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ url: receiver.url, paused_at: null });
    expect(shown.body).not.toHaveProperty('secret');
    const again = await admin.request('PUT', '/api/webhook', { url: receiver.url, events: [...EVENT_TYPES] });
    expect(again.status).toBe(200);
    expect(again.body).not.toHaveProperty('secret');
    // Stored as an envelope only.
    expect(JSON.stringify(await clients.store.webhooks.find({}).toArray())).not.toContain(secret.slice(6));
  });

  it('each event comes from its real cause, is listed in order, and reaches the receiver signed', async () => {
    const provider = providerControl('events');
    const refresh = (connectionId: string) => admin.request('POST', `/api/connections/${connectionId}/refresh`);

    const id = await connectInBrowser(admin, clients.browser, 'events'); // connection.created
    const tokens = (await storedCredentials(clients.store, id))!;
    await provider.setFault({ status: 503 });
    const pending = refresh(id);
    try {
      await waitUntil('a failed refresh attempt', storedEvent(id, 'connection.refresh_failed'));
    } finally {
      await provider.setFault(null);
    }
    expect((await pending).status).toBe(200); // connection.refreshed, on a retry
    const refreshedAt = Date.now();
    // (past the coalescing window, so the next refresh asks the provider)
    await waitUntil('the coalescing window to pass', async () => Date.now() - refreshedAt > 3_500);
    await provider.setFault({ error: 'invalid_grant' });
    try {
      expect((await refresh(id)).status).toBe(409); // connection.needs_reauth
    } finally {
      await provider.setFault(null);
    }
    const reauth = await admin.request('POST', `/api/connections/${id}/reauthorize`, { validity_duration: 600 });
    expect((await authorizeInBrowser(clients.browser, reauth.body.auth_uri)).result).toMatchObject({
      connected: true,
    }); // connection.reauthorized
    // A reauthorization nobody completes within its validity (one second, below the API's minimum).
    const { authorizationRequestId } = newPullId();
    await clients.temporal.workflow.getHandle(connectionWorkflowId(id)).executeUpdate(reauthorizeUpdate, {
      args: [{ authorizationRequestId, validitySeconds: 1, scopes: null, redirectUrl: null, connectionName: null }],
    });
    await waitUntil('the request to expire', storedEvent(id, 'authorization.expired'));
    expect((await admin.request('DELETE', `/api/connections/${id}`)).status).toBe(204); // connection.deleted

    const denied = await admin.newOAuth2Request({ datasource_id: 'events', validity_duration: 600 });
    await authorizeInBrowser(clients.browser, denied.body.auth_uri, { deny: true }); // authorization.failed

    const events = await listEvents(`connection_id=${id}`);
    const types = events
      .map((e) => e.type)
      .filter((t, i, all) => t !== 'connection.refresh_failed' || all[i - 1] !== t);
    expect(types).toEqual([
      'connection.created',
      'connection.refresh_failed',
      'connection.refreshed',
      'connection.needs_reauth',
      'connection.reauthorized',
      'authorization.expired',
      'connection.deleted',
    ]);
    const data = Object.fromEntries(events.map((e) => [e.type, e.data]));
    expect(data['connection.refresh_failed']).toMatchObject({
      connection_id: id,
      error: 'provider_unavailable',
      next_attempt_at: expect.any(String),
    });
    expect(data['connection.needs_reauth']).toMatchObject({ error: 'invalid_grant' });
    expect(data['authorization.expired']).toMatchObject({ authorization_request_id: authorizationRequestId });
    expect(data['connection.deleted']).toMatchObject({ revoked: true });
    const [failed] = (await listEvents('type=authorization.failed')).filter(
      (e) => e.data.authorization_request_id === authorizationRequestIdOf(denied.body.pull_id),
    );
    expect(failed?.data).toMatchObject({ error: 'access_denied', provider: 'events' });
    expect(JSON.stringify(failed)).not.toContain(denied.body.pull_id);
    expect((await admin.request('GET', '/api/events?after=not-a-cursor')).status).toBe(400);

    // Every event reaches the receiver, in order, signed with the secret, as {type, timestamp, data}.
    const expected = [...events, failed!];
    await waitUntil('every event delivered', async () =>
      expected.every((e) => receiver.accepted().some((m) => m.id === e.id)),
    );
    // (at least once: a message may come twice; its first arrival is its place in the order)
    const arrived = new Set(receiver.accepted().map((m) => m.id));
    expect([...arrived].filter((messageId) => events.some((e) => e.id === messageId))).toEqual(events.map((e) => e.id));
    const verifier = new Webhook(secret);
    for (const event of expected) {
      const message = receiver.accepted().find((m) => m.id === event.id)!;
      const { id: _id, ...body } = event;
      expect(verifier.verify(message.body, signatureHeaders(message))).toEqual(body);
      expect(message.body).not.toMatch(/"(access|refresh|id)_token"/);
      for (const token of [tokens.access_token, tokens.refresh_token!]) expect(message.body).not.toContain(token);
    }
  });

  it('a rotated secret signs the next message (a ping); the old one no longer verifies', async () => {
    const rotated = await admin.request('POST', '/api/webhook/rotate_secret');
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(secret);
    const ping = await admin.request('POST', '/api/webhook/test');
    expect(ping.status).toBe(202);
    const message = await waitUntil('the ping', async () =>
      receiver.accepted().find((m) => m.id === ping.body.delivery_id),
    );
    expect(new Webhook(rotated.body.secret).verify(message.body, signatureHeaders(message))).toMatchObject({
      type: 'ping',
    });
    expect(() => new Webhook(secret).verify(message.body, signatureHeaders(message))).toThrow();
    const deliveries = await admin.request('GET', '/api/webhook/deliveries?limit=1');
    expect(deliveries.body.items[0]).toMatchObject({
      id: ping.body.delivery_id,
      status: 'delivered',
      attempts: [{ status_code: 200, duration_ms: expect.any(Number) }],
    });
    expect((await admin.request('DELETE', '/api/webhook')).status).toBe(204);
    expect((await admin.request('GET', '/api/webhook')).status).toBe(404);
  });
});
