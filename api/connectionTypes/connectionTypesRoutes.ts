import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { providerClientCredentials } from '../../lib/providers/providerClientCredentials.js';
import type { ApiContext } from '../ApiContext.js';
import { requireScope } from '../auth/authenticate.js';
import { issueAuthorization } from '../oauth2/issueAuthorization.js';
import { NewOAuth2RequestBody } from '../oauth2/oauth2Schemas.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

const ConnectParams = z.object({ datasource_id: NewOAuth2RequestBody.shape.datasource_id });
/** The browser flow's query: POST /api/oauth2's fields as strings, validity_duration 1800 by default. */
const ConnectQuery = z.object({
  validity_duration: z.coerce.number().pipe(NewOAuth2RequestBody.shape.validity_duration).default(1800),
  connection_name: NewOAuth2RequestBody.shape.connection_name,
  redirect_url: NewOAuth2RequestBody.shape.redirect_url,
});
const ConnectionType = z.looseObject({
  datasource_id: z.string(),
  name: z.string(),
  oauth: z.unknown(),
  default_scopes: z.unknown(),
  configured: z.boolean(),
});

/** GET /api/connection_types: the catalog, Rivery-shaped; and the browser flow that redirects to a provider. */
export const connectionTypesRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope' });
  app.get(
    '/connection_types',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('The connection-type catalog', 'connection:read'),
        response: { 200: z.array(ConnectionType), ...errors },
      },
    },
    async () =>
      [...ctx.catalog.values()].map((p) => ({
        datasource_id: p.id,
        name: p.name,
        oauth: p.oauth,
        default_scopes: p.defaultScopes,
        configured: providerClientCredentials(p.id, ctx.env) !== undefined,
      })),
  );

  /** Browser flow: 302 straight to the provider; the callback then completes it as for POST /api/oauth2. */
  app.get(
    '/connection_types/:datasource_id/connect',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('Browser flow: 302 to the provider', 'connection:edit'),
        params: ConnectParams,
        querystring: ConnectQuery,
        response: { 302: noBody('to the provider'), ...errors, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request, reply) => {
      const issued = await issueAuthorization(ctx, request, {
        datasource_id: request.params.datasource_id,
        ...request.query,
      });
      return reply.header('cache-control', 'no-store').redirect(issued.authUri, 302);
    },
  );
};
