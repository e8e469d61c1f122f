import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import type { OAuthAppDoc } from '../../lib/store/documents.js';
import { deleteOAuthApp, findOAuthApp, listOAuthApps, putOAuthApp } from '../../lib/store/oauthApps.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

const AppParams = z.object({ datasource_id: z.string().min(1).max(100) });
const OAuthAppBody = z.object({
  client_id: z.string().trim().min(1).max(500),
  client_secret: z.string().min(1).max(2000),
  scopes: z.array(z.string().min(1).max(200)).max(50).optional(),
});
/** An app as the API shows it: never its secret. */
const OAuthApp = z.object({
  datasource_id: z.string(),
  client_id: z.string(),
  scopes: z.array(z.string()).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const view = (doc: OAuthAppDoc): z.infer<typeof OAuthApp> => ({
  datasource_id: doc.provider,
  client_id: doc.clientId,
  scopes: doc.scopes,
  created_at: doc.createdAt.toISOString(),
  updated_at: doc.updatedAt.toISOString(),
});

/**
 * The calling account's own OAuth apps, one per source type: new connections of that type are
 * authorized with it instead of the service's app (existing ones keep the app they were made with).
 */
export const oauthAppsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope' });
  const notFound = errorResponses({ 404: 'unknown datasource_id, or no app for it' });
  const entryOf = (datasourceId: string): ProviderEntry => {
    const entry = ctx.catalog.get(datasourceId);
    if (!entry) {
      throw new HttpError(
        404,
        'not_found',
        `unknown datasource_id "${datasourceId}"; GET /api/connection_types lists them`,
        {
          datasource_id: datasourceId,
        },
      );
    }
    return entry;
  };
  const noApp = (entry: ProviderEntry) =>
    new HttpError(404, 'not_found', `this account has no OAuth app for ${entry.id}`, { datasource_id: entry.id });

  app.get(
    '/oauth_apps',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation("The account's OAuth apps", 'account:admin'),
        response: { 200: z.array(OAuthApp), ...errors },
      },
    },
    async (request) => (await listOAuthApps(ctx.store, callerOf(request).accountId)).map(view),
  );

  app.get(
    '/oauth_apps/:datasource_id',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation("The account's OAuth app for a source type", 'account:admin'),
        params: AppParams,
        response: { 200: OAuthApp, ...errors, ...notFound },
      },
    },
    async (request) => {
      const entry = entryOf(request.params.datasource_id);
      const doc = await findOAuthApp(ctx.store, callerOf(request).accountId, entry.id);
      if (!doc) throw noApp(entry);
      return view(doc);
    },
  );

  app.put(
    '/oauth_apps/:datasource_id',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation("Set the account's OAuth app for a source type", 'account:admin'),
        params: AppParams,
        body: OAuthAppBody,
        response: { 200: OAuthApp, ...errors, ...notFound, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request) => {
      const entry = entryOf(request.params.datasource_id);
      const { client_id, client_secret, scopes } = request.body;
      const doc = await putOAuthApp(ctx.store, ctx.keyRing, {
        accountId: callerOf(request).accountId,
        provider: entry.id,
        clientId: client_id,
        clientSecret: client_secret,
        scopes: scopes ?? null,
      });
      return view(doc);
    },
  );

  app.delete(
    '/oauth_apps/:datasource_id',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation("Remove the account's OAuth app for a source type", 'account:admin'),
        params: AppParams,
        response: { 204: noBody('removed'), ...errors, ...notFound },
      },
    },
    async (request, reply) => {
      const entry = entryOf(request.params.datasource_id);
      if (!(await deleteOAuthApp(ctx.store, callerOf(request).accountId, entry.id))) throw noApp(entry);
      return reply.code(204).send();
    },
  );
};
