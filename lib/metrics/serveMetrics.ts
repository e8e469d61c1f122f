import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { metricsText } from './registry.js';

/**
 * `GET /metrics` on a port of its own (the worker's, or the API's when CONNECTFLOW_METRICS_PORT is
 * set), answering every caller: who may scrape is decided by the interface it is bound to.
 */
export async function serveMetrics(registries: readonly Registry[], host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const json = (status: number, error: string, message: string) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, message }));
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') return json(404, 'not_found', 'only GET /metrics is served here');
    if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, 'method_not_allowed', 'use GET');
    metricsText(registries).then(
      ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(text),
      (err: unknown) => json(503, 'metrics_unavailable', (err as Error).message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
