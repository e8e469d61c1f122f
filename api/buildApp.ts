import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { redactUrl } from '../lib/logging/redactUrl.js';
import { SECRET_LOG_PATHS } from '../lib/logging/secretLogPaths.js';
import type { ApiContext } from './ApiContext.js';
import rateLimit from '@fastify/rate-limit';
import { accountRoutes } from './account/accountRoutes.js';
import { authenticate } from './auth/authenticate.js';
import { codecRoutes } from './codec/codecRoutes.js';
import { callbackRoutes } from './callback/callbackRoutes.js';
import { connectPageRoutes } from './connect/connectPageRoutes.js';
import { connectionsRoutes } from './connections/connectionsRoutes.js';
import { connectionTypesRoutes } from './connectionTypes/connectionTypesRoutes.js';
import { HttpError } from './errors/HttpError.js';
import { registerErrorHandlers } from './errors/registerErrorHandlers.js';
import { oauth2Routes } from './oauth2/oauth2Routes.js';
import { oauthAppsRoutes } from './oauthApps/oauthAppsRoutes.js';
import { proxyRoutes } from './proxy/proxyRoutes.js';
import { registerApiDocs } from './docs/registerApiDocs.js';
import { useZodSchemas } from './schema/useZodSchemas.js';
import { eventsRoutes } from './events/eventsRoutes.js';
import { webhookRoutes } from './webhook/webhookRoutes.js';
import { tokensRoutes } from './tokens/tokensRoutes.js';
import { integrationsRoutes } from './integrations/integrationsRoutes.js';
import { integrationConnectionRoutes } from './integrations/integrationConnectionRoutes.js';
import { readyRoutes } from './health/readyRoutes.js';
import { metricsRoutes } from './metrics/metricsRoutes.js';
import { metricsRegistry } from '../lib/metrics/registry.js';
import { connectionCountsRegistry } from '../lib/metrics/connectionCounts.js';

function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: [...SECRET_LOG_PATHS], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        ip: req.ip,
      }),
    },
  };
}

/** The Fastify app: the public callback, connect page and popup helper, and everything else under /api behind a Bearer token. */
export async function buildApp(
  ctx: ApiContext,
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<FastifyInstance> {
  const trust = ctx.config.CONNECTFLOW_TRUST_PROXY;
  // A hop count as the function Fastify makes of it (its types take only the other forms).
  const trustProxy = typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
  const app = Fastify({ logger: options.logger ?? loggerOptions(ctx.config.LOG_LEVEL), trustProxy });
  registerErrorHandlers(app);
  useZodSchemas(app);
  await registerApiDocs(app);
  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  await app.register(readyRoutes, ctx);
  // With CONNECTFLOW_METRICS_PORT, api/main.ts serves them there instead.
  if (ctx.config.CONNECTFLOW_METRICS_PORT === undefined) {
    await app.register(metricsRoutes, {
      store: ctx.store,
      registries: [metricsRegistry, connectionCountsRegistry(ctx.store)],
    });
  }
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        'too_many_requests',
        `rate limit of ${context.max} requests per ${context.after} exceeded; retry later`,
      ),
  });
  await app.register(callbackRoutes, ctx);
  await app.register(connectPageRoutes, ctx);
  await app.register(codecRoutes, ctx);
  await app.register(
    async (api) => {
      api.addHook('onRequest', authenticate(ctx.store));
      await api.register(connectionTypesRoutes, ctx);
      await api.register(oauth2Routes, ctx);
      await api.register(connectionsRoutes, ctx);
      await api.register(proxyRoutes, ctx);
      await api.register(accountRoutes, ctx);
      await api.register(oauthAppsRoutes, ctx);
      await api.register(eventsRoutes, ctx);
      await api.register(webhookRoutes, ctx);
      await api.register(tokensRoutes, ctx);
      await api.register(integrationsRoutes, ctx);
      await api.register(integrationConnectionRoutes, ctx);
    },
    { prefix: '/api' },
  );
  return app;
}
