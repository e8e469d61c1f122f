import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { checkConnectionConfig, ConnectionConfigError } from '../../lib/providers/connectionConfig.js';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import type { IntegrationDoc } from '../../lib/store/documents.js';
import {
  deleteIntegration,
  findIntegration,
  integrationConnections,
  listIntegrations,
  MissingClientSecretError,
  putIntegration,
} from '../../lib/store/integrations.js';
import { disconnectUpdate } from '../../workflows/connectionMessages.js';
import type { ApiContext } from '../ApiContext.js';
import { assertRedirectAllowed } from '../account/assertRedirectAllowed.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { updateConnectionWorkflow } from '../connections/updateConnectionWorkflow.js';
import { HttpError } from '../errors/HttpError.js';
import { proxyTokens } from '../proxy/proxyTokens.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { integrationNotFound, integrationOf } from './integrationAccess.js';
import { DeleteIntegrationQuery, Integration, IntegrationBody, IntegrationParams } from './integrationSchemas.js';
import { integrationView } from './integrationViews.js';
import { knownProvider } from '../connectionTypes/knownProvider.js';

/**
 * The account's integrations (the integrations API): a named configuration of one provider, with its
 * mode, scopes, connection_config, pages and optionally its own OAuth app (the secret never shown).
 */
export const integrationsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope' });
  const notFound = errorResponses({ 404: 'no such integration' });

  app.get(
    '/integrations',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation("The account's integrations", 'connection:read'),
        response: { 200: Integration.array(), ...errors },
      },
    },
    async (request) => (await listIntegrations(ctx.store, callerOf(request).accountId)).map(integrationView),
  );

  app.get(
    '/integrations/:id',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('One integration (never its client secret)', 'connection:read'),
        params: IntegrationParams,
        response: { 200: Integration, ...errors, ...notFound },
      },
    },
    async (request) => integrationView(await integrationOf(ctx, callerOf(request), request.params.id)),
  );

  app.put(
    '/integrations/:id',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation('Create or replace an integration', 'account:admin'),
        params: IntegrationParams,
        body: IntegrationBody,
        response: {
          200: Integration,
          ...errors,
          ...errorResponses({ 400: 'bad input', 409: 'type or mode changed while connections use it' }),
        },
      },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      const slug = request.params.id;
      const { body } = request;
      const entry = knownProvider(ctx.catalog, body.type, 'type');
      const connectionConfig = checkedConfig(entry, body.connection_config);
      await assertPageAllowed(ctx, accountId, 'success_url', body.success_url);
      await assertPageAllowed(ctx, accountId, 'error_url', body.error_url);
      const existing = await findIntegration(ctx.store, accountId, slug);
      if (existing && (existing.provider !== entry.id || existing.mode !== body.mode)) {
        const inUse = await integrationConnections(ctx.store, existing);
        if (inUse.length > 0) {
          throw new HttpError(
            409,
            'integration_in_use',
            `${inUse.length} connection(s) use this integration: its type and mode cannot change (DELETE it with ?force=true first)`,
          );
        }
      }
      try {
        const doc = await putIntegration(
          ctx.store,
          ctx.keyRing,
          {
            accountId,
            slug,
            provider: entry.id,
            name: body.name,
            mode: body.mode,
            scopes: body.scopes ?? null,
            connectionConfig,
            clientId: body.client_id ?? null,
            clientSecret: body.client_secret ?? null,
            apiBaseUri: body.api_base_uri ?? null,
            successUrl: body.success_url ?? null,
            errorUrl: body.error_url ?? null,
          },
          existing,
        );
        return integrationView(doc);
      } catch (err) {
        if (err instanceof MissingClientSecretError) {
          throw new HttpError(400, 'bad_request', 'client_id needs its client_secret', [
            { path: 'body.client_secret', message: err.message },
          ]);
        }
        throw err;
      }
    },
  );

  app.delete(
    '/integrations/:id',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation('Remove an integration (?force=true disconnects its connections first)', 'account:admin'),
        params: IntegrationParams,
        querystring: DeleteIntegrationQuery,
        response: {
          204: noBody('removed'),
          ...errors,
          ...notFound,
          ...errorResponses({ 409: 'connections use it' }),
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const integration = await integrationOf(ctx, caller, request.params.id);
      const inUse = await integrationConnections(ctx.store, integration);
      if (inUse.length > 0 && request.query.force !== 'true') {
        throw new HttpError(
          409,
          'integration_in_use',
          `${inUse.length} connection(s) use this integration; disconnect them or DELETE with ?force=true`,
          { connection_ids: inUse.map((c) => c._id) },
        );
      }
      // Each connection revoked and deleted by its own workflow, as DELETE /api/connections/:id does.
      for (const doc of inUse) {
        proxyTokens(ctx).evict(doc._id);
        await updateConnectionWorkflow(ctx, doc, disconnectUpdate);
        proxyTokens(ctx).evict(doc._id);
      }
      if (!(await deleteIntegration(ctx.store, caller.accountId, integration.slug)))
        throw integrationNotFound(integration.slug);
      return reply.code(204).send();
    },
  );
};

function checkedConfig(
  entry: ProviderEntry,
  given: Record<string, string> | undefined,
): IntegrationDoc['connectionConfig'] {
  try {
    return checkConnectionConfig(entry, given);
  } catch (err) {
    if (!(err instanceof ConnectionConfigError)) throw err;
    throw new HttpError(400, 'invalid_connection_config', err.message, [
      { path: `body.connection_config.${err.field}`, message: err.message },
    ]);
  }
}

/** The integration's pages are redirect targets: on the account's allow-list of origins like any redirect_url. */
async function assertPageAllowed(
  ctx: ApiContext,
  accountId: string,
  field: 'success_url' | 'error_url',
  url: z.infer<typeof IntegrationBody>['success_url'],
): Promise<void> {
  try {
    await assertRedirectAllowed(ctx.store, accountId, url);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    throw new HttpError(400, `${field}_not_allowed`, err.message.replace('redirect_url', field));
  }
}
