import { describe, expect, it } from 'vitest';
import { startConnectionFlow } from '../api/oauth2/startConnectionFlow.js';
import { captureCallback } from './support/captureCallback.js';
import { startInProcessApi } from './support/inProcessApi.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, stack, testTiming } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

const codeWithoutDelivering = (authUri: string) =>
  captureCallback(clients.browser, authUri, `${stack.apiUrl}/oauth2/callback`);

const callback = (base: string, params: Record<string, string>) =>
  fetch(`${base}/oauth2/callback?${new URLSearchParams(params)}`, { headers: { accept: 'application/json' } });

describe('callback abuse', () => {
  it("a state paired with another flow's code fails that flow only; the other flow still completes once; replays are refused", async () => {
    const rivery = new RiveryClient(stack.apiUrl, (await newAccount(clients.store)).token);
    const a = (await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
    const b = (await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
    const fromB = await codeWithoutDelivering(b.auth_uri);
    const stateA = new URL(a.auth_uri).searchParams.get('state')!;

    // A's state with B's code: the code was bound (PKCE) to B's verifier, so the provider refuses it for A.
    const crossed = await callback(stack.apiUrl, {
      state: stateA,
      code: fromB.searchParams.get('code')!,
      iss: fromB.searchParams.get('iss')!,
    });
    expect(crossed.status).toBe(422);
    expect(await crossed.json()).toMatchObject({ connected: false, error: 'invalid_grant' });
    expect((await rivery.getCredentials({ pull_id: a.pull_id })).status).toBe(422);

    // B's own callback still works: the provider checks PKCE before it spends a code, so A's attempt left it intact.
    const own = await fetch(fromB, { headers: { accept: 'application/json' } });
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ connected: true });
    expect((await rivery.getCredentials({ pull_id: b.pull_id })).status).toBe(200);

    // Replaying B's callback, or a second callback for the finished flow, delivers nothing.
    const replay = await fetch(fromB, { headers: { accept: 'application/json' } });
    expect(replay.status).toBe(409);
    const second = await callback(stack.apiUrl, { state: fromB.searchParams.get('state')!, code: 'another-code' });
    expect(second.status).toBe(409);
    expect((await callback(stack.apiUrl, { state: 'never-issued', code: 'x' })).status).toBe(400);
    // A real request id with a made-up secret part is no state of ours either.
    const [requestPart] = fromB.searchParams.get('state')!.split('.');
    expect((await callback(stack.apiUrl, { state: `${requestPart}.made-up`, code: 'x' })).status).toBe(400);
  });

  it('twenty copies of one redirect arriving at once: exactly one is answered with the outcome, the others 409', async () => {
    const rivery = new RiveryClient(stack.apiUrl, (await newAccount(clients.store)).token);
    const created = (await rivery.newOAuth2Request({ datasource_id: 'demo', validity_duration: 600 })).body;
    const redirect = await codeWithoutDelivering(created.auth_uri);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(redirect, { headers: { accept: 'application/json' } }).then(async (r) => ({
          status: r.status,
          body: await r.json(),
        })),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, ...Array<number>(19).fill(409)]);
    expect(answers.find((a) => a.status === 200)!.body).toMatchObject({ connected: true });
    expect((await rivery.getCredentials({ pull_id: created.pull_id })).status).toBe(200);
  });

  it('an expired state is refused with 410 and delivers nothing', async () => {
    const account = await newAccount(clients.store);
    const issued = await startConnectionFlow(clients.temporal, 'connectflow', testTiming, {
      accountId: account.accountId,
      provider: 'demo',
      validitySeconds: 2,
      scopes: null,
      redirectUrl: null,
      connectionName: null,
    });
    const state = new URL(issued.authUri).searchParams.get('state')!;
    await waitUntil(
      'the request to expire',
      async () =>
        (await clients.store.oauthRequests.findOne({ connectionId: issued.connectionId }))?.status === 'expired',
    );
    const late = await callback(stack.apiUrl, { state, code: 'x' });
    expect(late.status).toBe(410);
    expect(await late.json()).toMatchObject({ error: 'expired' });
  });

  it('1,000 callbacks from one IP are cut off at the limit with 429, while the API keeps serving', async () => {
    const api = await startInProcessApi({ CONNECTFLOW_CALLBACK_RATE_LIMIT: '50' });
    try {
      const token = (await newAccount(api.store)).token;
      const statuses: number[] = [];
      for (let batch = 0; batch < 20; batch++) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            callback(api.url, { state: `flood-${batch}-${i}`, code: 'x' }).then(async (r) => {
              const body = await r.json();
              if (r.status === 429)
                expect(body).toMatchObject({ error: 'too_many_requests', message: expect.any(String) });
              return r.status;
            }),
          ),
        );
        statuses.push(...answers);
      }
      expect(statuses.filter((s) => s === 400)).toHaveLength(50);
      expect(statuses.filter((s) => s === 429)).toHaveLength(950);
      const others = await fetch(`${api.url}/api/connection_types`, { headers: { authorization: `Bearer ${token}` } });
      expect(others.status).toBe(200);
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
