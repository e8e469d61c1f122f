import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../lib/store/documents.js';
import { connectInBrowser } from './support/connectInBrowser.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, stack } from './support/testStack.js';
import { useStackClients } from './support/useStackClients.js';
import { waitUntil } from './support/waitUntil.js';
import { signatureHeaders, startWebhookReceiver } from './support/webhookReceiver.js';

const clients = useStackClients();
let admin: RiveryClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  admin = new RiveryClient(stack.apiUrl, (await newAccount(clients.store, ['account:admin'])).token);
  receiver = await startWebhookReceiver();
});
afterAll(async () => receiver?.close());

const OUTAGE_MS = 20_000;

describe('a receiver that answers 500 for a while', () => {
  it('does not hold up refreshes; afterwards every event arrives, in order, with the webhook-id of its failed attempts', async () => {
    const registered = await admin.request('PUT', '/api/webhook', { url: receiver.url, events: [...EVENT_TYPES] });
    expect(registered.status).toBe(201);
    receiver.answer(500);
    const outageStarted = Date.now();
    const id = await connectInBrowser(admin, clients.browser, 'webhook_short'); // 5-second tokens
    const refreshesDuringOutage = await waitUntil(
      `${OUTAGE_MS / 1000} s of 500s`,
      async () =>
        Date.now() - outageStarted >= OUTAGE_MS &&
        clients.store.events.countDocuments({ connectionId: id, type: 'connection.refreshed' }),
      OUTAGE_MS + 10_000,
    );
    receiver.answer(200);
    const refused = new Set(receiver.received.filter((m) => m.status === 500).map((m) => m.id));
    console.log(`webhook outage: ${refreshesDuringOutage} refreshes, ${receiver.received.length} refused attempts`);
    expect(refreshesDuringOutage).toBeGreaterThanOrEqual(3); // refreshes went on
    expect(refused.size).toBe(1); // one lane, in order: only its oldest message was being tried
    expect(receiver.received.length).toBeGreaterThanOrEqual(5); // retried with backoff (0.5 s doubling to 2 s)

    expect((await admin.request('DELETE', `/api/connections/${id}`)).status).toBe(204);
    const listed = (await admin.request('GET', `/api/events?connection_id=${id}&limit=500`)).body.items as Array<{
      id: string;
      type: string;
    }>;
    expect(listed.at(-1)?.type).toBe('connection.deleted');
    await waitUntil('every event delivered', async () =>
      listed.every((e) => receiver.accepted().some((m) => m.id === e.id)),
    );
    const firstArrivals = [...new Set(receiver.accepted().map((m) => m.id))];
    expect(firstArrivals).toEqual(listed.map((e) => e.id)); // none lost, in order
    for (const refusedId of refused) expect(firstArrivals).toContain(refusedId); // same webhook-id after recovery
    const verifier = new Webhook(registered.body.secret);
    for (const message of receiver.accepted())
      expect(() => verifier.verify(message.body, signatureHeaders(message))).not.toThrow();

    const deliveries = await admin.request('GET', `/api/webhook/deliveries?limit=200`);
    const retried = deliveries.body.items.find((d: { id: string }) => refused.has(d.id));
    expect(retried.status).toBe('delivered');
    expect(retried.attempts.at(-1)).toMatchObject({ status_code: 200, duration_ms: expect.any(Number) });
    expect(retried.attempts.slice(0, -1).every((a: { status_code: number }) => a.status_code === 500)).toBe(true);
  });
});
