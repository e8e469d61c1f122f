import type { FastifyPluginAsync } from 'fastify';
import { providerClientCredentials } from '../../lib/providers/providerClientCredentials.js';
import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { requireScope } from '../auth/authenticate.js';
import { parseInput } from '../errors/parseInput.js';
import { issueAuthorization } from '../oauth2/issueAuthorization.js';
import { NewOAuth2RequestBody } from '../oauth2/oauth2Schemas.js';
import { doc } from '../openapi/routeDoc.js';

const ConnectParams = z.object({ datasource_id: z.string().min(1).max(100) });
const ConnectQuery = z.object({
  validity_duration: z.coerce.number().optional(),
  redirect_url: z.string().optional(),
  connection_name: z.string().optional(),
});

/** GET /api/connection_types: the catalog, Rivery-shaped; and the browser flow that redirects to a provider. */
export const connectionTypesRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get('/connection_types', { preHandler: requireScope('connection:read'), config: doc({ summary: 'The connection-type catalog', scope: 'connection:read' }) }, async () =>
    [...ctx.catalog.values()].map((p) => ({
      datasource_id: p.id,
      name: p.name,
      oauth: p.oauth,
      default_scopes: p.defaultScopes,
      configured: providerClientCredentials(p.id, ctx.env) !== undefined,
    })),
  );

  /** Browser flow (seed 004): 302 straight to the provider; the callback then completes as for POST /api/oauth2. */
  app.get(
    '/connection_types/:datasource_id/connect',
    {
      preHandler: requireScope('connection:edit'),
      config: doc({
        summary: 'Browser flow: 302 to the provider',
        scope: 'connection:edit',
        params: ConnectParams,
        query: ConnectQuery,
        responses: { 302: 'to the provider', 400: 'bad input' },
      }),
    },
    async (request, reply) => {
      const { datasource_id } = parseInput(ConnectParams, request.params, 'params');
      const query = parseInput(ConnectQuery, request.query, 'query');
      const body = parseInput(NewOAuth2RequestBody, { datasource_id, validity_duration: 1800, ...query }, 'query');
      const issued = await issueAuthorization(ctx, request, body);
      return reply.header('cache-control', 'no-store').redirect(issued.authUri, 302);
    },
  );
};
