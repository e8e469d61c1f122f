import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { authorizationRequestIdOf, newPullId } from '../../lib/store/pullId.js';
import type { ConnectionDoc, IntegrationDoc } from '../../lib/store/documents.js';
import { findConnection } from '../../lib/store/connections.js';
import {
  currentIntegrationConnection,
  listIntegrationConnectionsOf,
  listIntegrations,
} from '../../lib/store/integrations.js';
import { connectionWorkflowId, callbackUpdateId } from '../../lib/temporal/names.js';
import {
  deliverCallbackUpdate,
  disconnectUpdate,
  reauthorizeUpdate,
  type FlowOutcome,
} from '../../workflows/connectionMessages.js';
import type { ApiContext } from '../ApiContext.js';
import { type Caller, callerOf, hasScope, requireScope } from '../auth/authenticate.js';
import { updateConnectionWorkflow } from '../connections/updateConnectionWorkflow.js';
import { HttpError } from '../errors/HttpError.js';
import { issueAuthorization } from '../oauth2/issueAuthorization.js';
import { DEFAULT_VALIDITY_SECONDS } from '../oauth2/oauth2Schemas.js';
import { proxyTokens } from '../proxy/proxyTokens.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { importIntegrationTokens } from './importIntegrationTokens.js';
import { currentConnectionOf, integrationOf, integrationOwnerOf } from './integrationAccess.js';
import {
  ConnectQuery,
  EndUserQuery,
  IntegrationConnection,
  IntegrationConnectBody,
  IntegrationConnectionsPage,
  IntegrationConnectionsQuery,
  IntegrationParams,
} from './integrationSchemas.js';
import { integrationConnectionView } from './integrationViews.js';

/** How long a code the client obtained itself may take to be redeemed (the shortest request validity). */
const CLIENT_GRANT_VALIDITY_SECONDS = 300;

/**
 * Connecting through an integration (the integrations API): per-user integrations hold one
 * connection per end user, shared ones one per account. Connecting again reauthorizes the same
 * connection. Integration connections are ordinary connections (GET /api/connections lists them).
 */
export const integrationConnectionRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({
    400: 'bad input',
    401: 'no or unknown token',
    403: 'missing scope, or another end user',
    404: 'no such integration or connection',
  });

  app.get(
    '/integrations/:id/connect',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation(
          "Browser flow: 302 to the provider for the caller's connection of the integration",
          'connection:edit',
        ),
        params: IntegrationParams,
        querystring: ConnectQuery,
        response: {
          302: noBody('to the provider'),
          ...errors,
          ...errorResponses({ 409: 'being deleted', 422: 'provider not configured', 502: 'provider unreachable' }),
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const integration = await integrationOf(ctx, caller, request.params.id);
      const ownerId = integrationOwnerOf(caller, integration, request.query.end_user_id);
      const existing = await currentIntegrationConnection(ctx.store, integration, ownerId);
      const validitySeconds = request.query.validity_duration;
      const authUri = existing
        ? (await reauthorizeThrough(ctx, integration, existing, validitySeconds)).authUri
        : (await issueThrough(ctx, request, integration, ownerId, validitySeconds)).authUri;
      return reply.header('cache-control', 'no-store').redirect(authUri, 302);
    },
  );

  app.post(
    '/integrations/:id/connect',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation(
          "Create the caller's connection from an authorization code the client obtained (or tokens obtained elsewhere)",
          'connection:edit',
        ),
        params: IntegrationParams,
        querystring: EndUserQuery,
        body: IntegrationConnectBody,
        response: {
          200: IntegrationConnection.describe('these tokens were imported already, by an identical request'),
          201: IntegrationConnection,
          ...errors,
          ...errorResponses({
            409: 'being deleted, or the tokens were imported already (details.connection_id)',
            422: 'the provider refused',
            502: 'provider unreachable',
          }),
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const integration = await integrationOf(ctx, caller, request.params.id);
      const ownerId = integrationOwnerOf(caller, integration, request.query.end_user_id);
      const { body } = request;
      if ('refresh_token' in body) {
        const { refresh_token, access_token, expires_in, scope } = body;
        const sent = { refresh_token, access_token, expires_in, scope };
        const { connection, existing } = await importIntegrationTokens(ctx, integration, ownerId, sent);
        const view = integrationConnectionView(connection, integration, ctx.catalog.get(connection.provider));
        return reply.code(existing ? 200 : 201).send(view);
      }
      const clientGrant = { redirectUri: body.redirect_uri, codeVerifier: body.code_verifier ?? null };
      const existing = await currentIntegrationConnection(ctx.store, integration, ownerId);
      const issued = existing
        ? await reauthorizeThrough(ctx, integration, existing, CLIENT_GRANT_VALIDITY_SECONDS, clientGrant)
        : await issueThrough(ctx, request, integration, ownerId, CLIENT_GRANT_VALIDITY_SECONDS, clientGrant);
      const doc = await redeemClientCode(ctx, issued, body.code);
      return reply.code(201).send(integrationConnectionView(doc, integration, ctx.catalog.get(doc.provider)));
    },
  );

  app.get(
    '/integrations/:id/connection',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation("The caller's connection of the integration (per_user), or its shared one", 'connection:read'),
        params: IntegrationParams,
        querystring: EndUserQuery,
        response: { 200: IntegrationConnection, ...errors },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const integration = await integrationOf(ctx, caller, request.params.id);
      const doc = await currentConnectionOf(ctx, caller, integration, request.query.end_user_id);
      return integrationConnectionView(doc, integration, ctx.catalog.get(doc.provider));
    },
  );

  app.delete(
    '/integrations/:id/connection',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation("Revoke at the provider and delete the caller's connection of the integration", 'connection:edit'),
        params: IntegrationParams,
        querystring: EndUserQuery,
        response: { 204: noBody('deleted'), ...errors, ...errorResponses({ 409: 'being deleted' }) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const integration = await integrationOf(ctx, caller, request.params.id);
      const doc = await currentConnectionOf(ctx, caller, integration, request.query.end_user_id);
      assertMayDisconnect(caller, doc);
      proxyTokens(ctx).evict(doc._id);
      await updateConnectionWorkflow(ctx, doc, disconnectUpdate);
      proxyTokens(ctx).evict(doc._id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/integration-connections',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation(
          "The caller's connections across integrations (own and the account's shared ones; HAL)",
          'connection:read',
        ),
        querystring: IntegrationConnectionsQuery,
        response: { 200: IntegrationConnectionsPage, ...errors },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { query } = request;
      const ownerId = integrationOwnerOf(caller, { mode: 'per_user' }, query.end_user_id);
      const integrations = new Map(
        (await listIntegrations(ctx.store, caller.accountId)).map((i) => [i.slug, i] as const),
      );
      const shared = [...integrations.values()].filter((i) => i.mode === 'shared').map((i) => i.slug);
      const { items, total } = await listIntegrationConnectionsOf(ctx.store, caller.accountId, ownerId, shared, query);
      const embedded = items.flatMap((doc) => {
        const integration = doc.integrationId ? integrations.get(doc.integrationId) : undefined;
        if (!integration) return [];
        return [
          {
            ...integrationConnectionView(doc, integration, ctx.catalog.get(doc.provider)),
            _embedded: {
              'inf:integration': { id: integration.slug, name: integration.name, type: integration.provider },
            },
          },
        ];
      });
      const self = new URL('/api/integration-connections', 'http://x');
      for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) {
        if (typeof value === 'string') self.searchParams.set(key, value);
      }
      return {
        _links: { self: { href: `${self.pathname}${self.search}` } },
        _embedded: { 'inf:integration-connection': embedded },
        start: query.start,
        count: embedded.length,
        total,
      };
    },
  );
};

/** A connection's owner may disconnect it, and an `account:admin` token any of the account's. */
function assertMayDisconnect(caller: Caller, doc: ConnectionDoc): void {
  if (hasScope(caller, 'account:admin')) return;
  if ((doc.ownerId ?? null) === caller.userId) return;
  throw new HttpError(403, 'forbidden', "only the connection's owner or an account:admin token may disconnect it");
}

/** What redeeming a code needs of an issued authorization request. */
interface IssuedThrough {
  connectionId: string;
  authorizationRequestId: string;
  authUri: string;
}

/** A new connection of the integration for its owner: its provider, scopes, connection_config, app and pages. */
async function issueThrough(
  ctx: ApiContext,
  request: Parameters<typeof issueAuthorization>[1],
  integration: IntegrationDoc,
  ownerId: string | null,
  validitySeconds: number,
  clientGrant?: { redirectUri: string; codeVerifier: string | null },
): Promise<IssuedThrough> {
  const issued = await issueAuthorization(
    ctx,
    request,
    {
      datasource_id: integration.provider,
      validity_duration: validitySeconds,
      connection_name: integration.name,
      ...(integration.scopes ? { scopes: integration.scopes } : {}),
      ...(integration.successUrl && !clientGrant ? { redirect_url: integration.successUrl } : {}),
      connection_config: integration.connectionConfig,
    },
    {
      integration,
      ownerId,
      errorRedirectUrl: clientGrant ? null : integration.errorUrl,
      ...(clientGrant ? { clientGrant } : {}),
    },
  );
  return {
    connectionId: issued.connectionId,
    authorizationRequestId: authorizationRequestIdOf(issued.pullId),
    authUri: issued.authUri,
  };
}

/** Connecting again: the same connection is authorized anew (it keeps its tokens until the new ones arrive). */
async function reauthorizeThrough(
  ctx: ApiContext,
  integration: IntegrationDoc,
  existing: ConnectionDoc,
  validitySeconds: number = DEFAULT_VALIDITY_SECONDS,
  clientGrant?: { redirectUri: string; codeVerifier: string | null },
): Promise<IssuedThrough> {
  const { authorizationRequestId } = newPullId();
  const issued = await updateConnectionWorkflow(ctx, existing, reauthorizeUpdate, {
    authorizationRequestId,
    validitySeconds,
    redirectUrl: clientGrant ? null : integration.successUrl,
    errorRedirectUrl: clientGrant ? null : integration.errorUrl,
    scopes: integration.scopes,
    connectionName: null,
    integrationId: integration.slug,
    ...(clientGrant ? { clientGrant } : {}),
  });
  return { connectionId: existing._id, authorizationRequestId, authUri: issued.authUri };
}

/**
 * Hands the client's code to the connection's workflow as its callback, which redeems it (with the
 * client's redirect_uri and verifier) and saves the connection before answering.
 */
async function redeemClientCode(ctx: ApiContext, issued: IssuedThrough, code: string): Promise<ConnectionDoc> {
  const handle = ctx.temporal.workflow.getHandle(connectionWorkflowId(issued.connectionId));
  const outcome: FlowOutcome = await handle.executeUpdate(deliverCallbackUpdate, {
    args: [
      {
        authorizationRequestId: issued.authorizationRequestId,
        state: new URL(issued.authUri).searchParams.get('state') ?? '',
        code,
        iss: null,
        error: null,
        errorDescription: null,
      },
    ],
    updateId: callbackUpdateId(issued.authorizationRequestId),
  });
  if (!outcome.connected) {
    throw new HttpError(
      422,
      outcome.error,
      outcome.error_description ?? `the provider answered ${outcome.error}`,
      outcome,
    );
  }
  const doc = await findConnection(ctx.store, issued.connectionId);
  if (!doc) throw new HttpError(409, 'conflict', 'the connection was deleted while it was being made');
  return doc;
}
