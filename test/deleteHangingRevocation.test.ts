import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeInBrowser } from './support/browser.js';
import { startInProcessService } from './support/inProcessService.js';
import { RiveryClient } from './support/RiveryClient.js';
import { newAccount, stack } from './support/testStack.js';
import { waitUntil } from './support/waitUntil.js';
import { useStackClients } from './support/useStackClients.js';

const clients = useStackClients();

/** A revocation endpoint that accepts connections and never answers; counts requests and open sockets. */
async function hangingEndpoint(): Promise<{
  url: string;
  requests: () => number;
  openSockets: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer(() => {
    requests++; // never answered
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/revoke`,
    requests: () => requests,
    openSockets: () => sockets.size,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('delete against a revocation endpoint that never answers', () => {
  let hanging: Awaited<ReturnType<typeof hangingEndpoint>>;
  let service: Awaited<ReturnType<typeof startInProcessService>>;

  beforeAll(async () => {
    hanging = await hangingEndpoint();
    // The demo provider's own endpoints and client, with the hanging endpoint for revocation.
    const metadata = await (await fetch(`${stack.providerIssuer}/.well-known/openid-configuration`)).json();
    service = await startInProcessService({
      CONNECTFLOW_ACTIVITY_TIMEOUT_SECONDS: '6',
      CONNECTFLOW_EXTRA_PROVIDERS: JSON.stringify([
        {
          id: 'hangrevoke',
          name: 'Revocation never answers',
          categories: ['developer-tools'],
          docs_url: 'https://github.com/panva/node-oidc-provider',
          authorization_endpoint: metadata.authorization_endpoint,
          token_endpoint: metadata.token_endpoint,
          revocation_endpoint: hanging.url,
          default_scopes: ['read'],
        },
      ]),
      CONNECTFLOW_PROVIDER_HANGREVOKE_CLIENT_ID: stack.appEnv.CONNECTFLOW_PROVIDER_DEMO_CLIENT_ID!,
      CONNECTFLOW_PROVIDER_HANGREVOKE_CLIENT_SECRET: stack.appEnv.CONNECTFLOW_PROVIDER_DEMO_CLIENT_SECRET!,
    });
  });
  afterAll(async () => {
    await service?.close();
    await hanging?.close();
  });

  it('DELETE ends within a bounded time, its revocation calls are cancelled, and one connection.deleted event is written', async () => {
    const rivery = new RiveryClient(service.url, (await newAccount(clients.store)).token);
    const created = await rivery.newOAuth2Request({ datasource_id: 'hangrevoke', validity_duration: 600 });
    expect(created.status).toBe(200);
    const landing = await authorizeInBrowser(clients.browser, created.body.auth_uri);
    expect(landing.result).toMatchObject({ connected: true });
    const id: string = landing.result.connection_id;

    const started = Date.now();
    const deleted = await rivery.request('DELETE', `/api/connections/${id}`);
    const tookMs = Date.now() - started;
    console.log(`delete with a hanging revocation endpoint: ${tookMs} ms, ${hanging.requests()} revocation requests`);
    expect(deleted.status).toBe(204);
    // 3 attempts, each bounded by the provider timeout (3 s here), plus the retry backoff.
    expect(tookMs).toBeLessThan(25_000);
    expect(hanging.requests()).toBeLessThanOrEqual(3);
    // Every attempt's request was aborted, none left hanging.
    await waitUntil('the revocation requests to be cancelled', async () => hanging.openSockets() === 0, 10_000);
    expect(await clients.store.connections.findOne({ _id: id })).toBeNull();
    expect(await clients.store.events.countDocuments({ connectionId: id, type: 'connection.deleted' })).toBe(1);
    expect(await clients.store.events.findOne({ connectionId: id, type: 'connection.deleted' })).toMatchObject({
      details: { revoked: false },
    });
    expect(await clients.store.events.countDocuments({ connectionId: id, type: 'connection.revocation_failed' })).toBe(
      1,
    );
  });
});
