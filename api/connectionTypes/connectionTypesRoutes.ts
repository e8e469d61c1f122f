import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CATALOG_CATEGORIES } from '../../lib/providers/catalogFileSchema.js';
import { listOAuthApps } from '../../lib/store/oauthApps.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';
import { issueAuthorization } from '../oauth2/issueAuthorization.js';
import {
  ConnectionConfigInput,
  DEFAULT_VALIDITY_SECONDS,
  NewOAuth2RequestBody,
  ValidityDuration,
} from '../oauth2/oauth2Schemas.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import {
  ConnectionTypeDetail,
  ConnectionTypeSummary,
  connectionTypeDetail,
  connectionTypeSummary,
  discoveryErrorOf,
} from './connectionTypeViews.js';

const TypeParams = z.object({ datasource_id: NewOAuth2RequestBody.shape.datasource_id });
const ListQuery = z.object({
  q: z.string().max(100).optional().describe('part of the name or datasource_id, any case'),
  category: z.enum(CATALOG_CATEGORIES).optional(),
});
/** The browser flow's query: POST /api/oauth2's fields as strings, validity_duration optional. */
const ConnectQuery = z.object({
  validity_duration: z.coerce.number().pipe(ValidityDuration).default(DEFAULT_VALIDITY_SECONDS),
  connection_name: NewOAuth2RequestBody.shape.connection_name,
  redirect_url: NewOAuth2RequestBody.shape.redirect_url,
  connection_config: z
    .string()
    .max(4096)
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'connection_config must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(ConnectionConfigInput)
    .optional()
    .describe('the same object as in POST /api/oauth2, as JSON, e.g. {"subdomain":"acme"}'),
});

/** GET /api/connection_types: the catalog, Rivery-shaped; one entry; and the browser flow that redirects to a provider. */
export const connectionTypesRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope' });
  // Built once: the catalog and the OAuth apps do not change while the process runs.
  const rows = ctx.catalog.entries.map((entry) => ({
    entry,
    summary: connectionTypeSummary(entry, ctx.config),
    searchable: [entry.id, entry.name, ...entry.aliases].join('\n').toLowerCase(),
  }));

  /** The source types the caller's account has its own OAuth app for: configured for it, whatever the service has. */
  const ownAppTypes = async (request: FastifyRequest) =>
    new Set((await listOAuthApps(ctx.store, callerOf(request).accountId)).map((app) => app.provider));

  app.get(
    '/connection_types',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('The connection-type catalog, filtered by name/id (q) or category', 'connection:read'),
        querystring: ListQuery,
        response: { 200: z.array(ConnectionTypeSummary), ...errors, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request) => {
      const q = request.query.q?.toLowerCase();
      const { category } = request.query;
      const ownApps = await ownAppTypes(request);
      return rows
        .filter((row) => (!q || row.searchable.includes(q)) && (!category || row.entry.categories.includes(category)))
        .map((row) => {
          const error = discoveryErrorOf(row.entry);
          const summary = ownApps.has(row.entry.id) ? { ...row.summary, configured: true } : row.summary;
          return error ? { ...summary, discovery_error: error } : summary;
        });
    },
  );

  app.get(
    '/connection_types/:datasource_id',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('One connection type: endpoints, scopes, connection_config fields, docs_url', 'connection:read'),
        params: TypeParams,
        response: { 200: ConnectionTypeDetail, ...errors, ...errorResponses({ 404: 'unknown datasource_id' }) },
      },
    },
    async (request) => {
      const entry = ctx.catalog.get(request.params.datasource_id);
      if (!entry) {
        throw new HttpError(
          404,
          'not_found',
          `unknown datasource_id "${request.params.datasource_id}"; GET /api/connection_types lists them`,
          { datasource_id: request.params.datasource_id },
        );
      }
      const detail = connectionTypeDetail(entry, ctx.config);
      return (await ownAppTypes(request)).has(entry.id) ? { ...detail, configured: true } : detail;
    },
  );

  /** Browser flow: 302 straight to the provider; the callback then completes as for POST /api/oauth2. */
  app.get(
    '/connection_types/:datasource_id/connect',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('Browser flow: 302 to the provider', 'connection:edit'),
        params: TypeParams,
        querystring: ConnectQuery,
        response: {
          302: noBody('to the provider'),
          ...errors,
          ...errorResponses({ 400: 'bad input', 422: 'provider not configured', 502: 'provider unreachable' }),
        },
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
