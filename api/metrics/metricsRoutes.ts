import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { isLoopbackCaller } from '../../lib/metrics/loopbackCaller.js';
import { metricsText } from '../../lib/metrics/registry.js';
import type { Store } from '../../lib/store/openStore.js';
import { operatorAuthenticator } from '../codec/operatorAuth.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

export interface MetricsRoutesOptions {
  store: Store;
  /** what /metrics answers, merged */
  registries: readonly Registry[];
}

/**
 * GET /metrics on the API's own port (Prometheus text): for callers on this host (loopback peer, no
 * forwarding header) and callers with an operator token; 401/403 for anybody else.
 * CONNECTFLOW_METRICS_PORT serves it on a port of its own instead (lib/metrics/serveMetrics.ts).
 */
export const metricsRoutes: FastifyPluginAsyncZod<MetricsRoutesOptions> = async (app, options) => {
  const operators = operatorAuthenticator(options.store, 'reading metrics from another host');
  app.get(
    '/metrics',
    {
      schema: {
        ...operation('Prometheus metrics (from this host, or with an operator token)'),
        response: {
          200: z.string().describe('Prometheus text format'),
          ...errorResponses({ 401: 'not from this host and no token', 403: 'not an operator token' }),
        },
      },
      onRequest: async (request) => {
        if (!isLoopbackCaller(request.socket.remoteAddress, request.headers)) await operators.token(request);
      },
    },
    async (_request, reply) => {
      const { contentType, text } = await metricsText(options.registries);
      return reply.type(contentType).header('cache-control', 'no-store').send(text);
    },
  );
};
