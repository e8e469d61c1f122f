import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkReadiness } from '../../lib/health/checkReadiness.js';
import type { ApiContext } from '../ApiContext.js';
import { operation } from '../schema/operation.js';

/** Each dependency must answer within this long for the API to be ready. */
export const READINESS_TIMEOUT_MS = 2_000;

const Check = z.enum(['ok', 'timeout', 'unreachable']);
const Checks = z.object({ temporal: Check, mongodb: Check });
const Ready = z.object({ status: z.literal('ready'), checks: Checks });
const NotReady = z.object({
  error: z.literal('not_ready'),
  message: z.string(),
  status: z.literal('not_ready'),
  checks: Checks,
});

/**
 * GET /readyz (public): whether this API can serve, i.e. Temporal (system info) and MongoDB (ping)
 * both answer within READINESS_TIMEOUT_MS. `/healthz` says only that the process is up.
 */
export const readyRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const { connection } = ctx.temporal;
  const probes = {
    temporal: () =>
      connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () => connection.workflowService.getSystemInfo({})),
    mongodb: () => ctx.store.db.command({ ping: 1 }, { timeoutMS: READINESS_TIMEOUT_MS }),
  };
  app.get(
    '/readyz',
    {
      schema: {
        ...operation('Readiness: Temporal and MongoDB answer (503 names the one that does not)'),
        response: { 200: Ready, 503: NotReady.describe('a dependency did not answer') },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await checkReadiness(probes, READINESS_TIMEOUT_MS);
      if (ready) return reply.code(200).send({ status: 'ready' as const, checks });
      const failing = Object.entries(checks)
        .filter(([, result]) => result !== 'ok')
        .map(([name, result]) => `${name} ${result}`);
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .send({
          error: 'not_ready' as const,
          message: `not ready: ${failing.join(', ')}`,
          status: 'not_ready' as const,
          checks,
        });
    },
  );
};
