import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ValidityDuration } from '../../api/oauth2/oauth2Schemas.js';

/** The `POST /api/oauth2` body both bench contenders accept (the bench driver sends only valid ones). */
export const NewRequest = z.object({
  datasource_id: z.string(),
  validity_duration: ValidityDuration,
});

/**
 * The shell the two other contenders (direct, bare Temporal) share: a Fastify app with /healthz and a
 * fixed Bearer token on /api, compared in memory.
 */
export function contenderApp(apiToken: string): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ ok: true }));
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    if (request.headers.authorization !== `Bearer ${apiToken}`) return reply.code(401).send({ error: 'unauthorized' });
  });
  return app;
}
