import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoProvider, TokenEndpointFault } from '../../scripts/dev/demoProvider/createDemoProvider.js';

/**
 * Test-only: lets test files (in their own processes) read a demo provider's call counts, switch its
 * token endpoint to a fault, and introspect tokens. The providers run in the global-setup process,
 * next to the API and worker they serve.
 */
export async function startProviderControlServer(
  providers: Map<string, DemoProvider>,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const [, id, action] = (req.url ?? '').split('/');
      const provider = providers.get(id ?? '');
      if (!provider) return send(404, { error: 'no such provider' });
      let body = '';
      for await (const chunk of req) body += chunk;
      const input = body ? JSON.parse(body) : {};
      if (req.method === 'GET' && !action) return send(200, { issuer: provider.issuer, counts: provider.counts });
      if (req.method === 'POST' && action === 'fault') {
        provider.setTokenEndpointFault(input.fault as TokenEndpointFault);
        return send(200, { ok: true });
      }
      if (req.method === 'POST' && action === 'reachable') {
        await provider.setReachable(input.reachable === true);
        return send(200, { ok: true });
      }
      if (req.method === 'POST' && action === 'introspect') return send(200, await provider.introspect(input.token));
      return send(404, { error: 'unknown action' });
    } catch (err) {
      return send(500, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
