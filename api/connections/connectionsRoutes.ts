import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listConnections } from '../../lib/store/connections.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import type { ApiContext } from '../ApiContext.js';
import type { ConnectionDoc } from '../../lib/store/documents.js';
import { assertRedirectAllowed } from '../account/assertRedirectAllowed.js';
import { callerOf, hasScope, requireScope } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';
import { tokenIssuedAt } from '../../lib/store/tokenClock.js';
import { isRefreshDue } from '../../workflows/planRefresh.js';
import { refreshTiming } from '../../lib/config.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import { disconnectUpdate, reauthorizeUpdate } from '../../workflows/connectionMessages.js';
import {
  ConnectionIdParams,
  ConnectionPage,
  ConnectionView,
  ConnectionWithCredentials,
  GetConnectionQuery,
  ListConnectionsQuery,
  ReauthorizeBody,
  ReplaceConnectionBody,
  SaveConnectionBody,
  SavedConnection,
} from './connectionSchemas.js';
import { connectionView } from './connectionView.js';
import { connectionAccess } from './connectionAccess.js';
import { importConnection } from './importConnection.js';
import { importedCredentials } from './importedCredentials.js';
import { redeemSecretId } from './redeemSecretId.js';
import { ownerOf } from '../oauth2/issueAuthorization.js';
import { updateConnectionWorkflow } from './updateConnectionWorkflow.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { proxyTokens } from '../proxy/proxyTokens.js';
import { IssuedRequest, issuedRequestView } from '../oauth2/oauth2Schemas.js';
import { newPullId } from '../../lib/store/pullId.js';
import { openConnectPage } from '../connect/openConnectPage.js';

/** Connections of the calling account: list, read, save (adopt the flow's connection) and replace. */
export const connectionsRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const { findOwned, owned, refreshNow, refreshOwned, checkCredentials, rename, saved } = connectionAccess(ctx);
  // Requests answered from one read or one refresh share one document object: its answer (view,
  // decrypted tokens, response schema, JSON) is built once for all of them.
  const answers = new WeakMap<ConnectionDoc, string>();
  const answerWithCredentials = (doc: ConnectionDoc): string => {
    let body = answers.get(doc);
    if (body === undefined) {
      const answer = { ...connectionView(doc), credentials: { ...readCredentials(ctx.keyRing, doc) } };
      body = JSON.stringify(z.encode(ConnectionWithCredentials, answer));
      answers.set(doc, body);
    }
    return body;
  };

  const errors = errorResponses({
    400: 'bad input',
    401: 'no or unknown token',
    403: 'missing scope',
    404: 'not found',
  });
  app.get(
    '/connections',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('List connections (paged)', 'connection:read'),
        querystring: ListConnectionsQuery,
        response: { 200: ConnectionPage, ...errors },
      },
    },
    async (request) => {
      const { query } = request;
      const caller = callerOf(request);
      if (caller.userId !== null && query.end_user_id !== undefined && query.end_user_id !== caller.userId) {
        throw new HttpError(403, 'forbidden', `this API token acts for the end user ${caller.userId} only`);
      }
      // A user-bound token lists its own user's connections (shared ones are reached through integrations).
      const ownerId = caller.userId ?? query.end_user_id;
      const { items, total } = await listConnections(
        ctx.store,
        caller.accountId,
        { number: query.page, size: query.page_size },
        ownerId,
      );
      return { items: items.map(connectionView), page: query.page, page_size: query.page_size, total };
    },
  );

  app.get(
    '/connections/:id',
    {
      preValidation: requireScope('connection:read'),
      schema: {
        ...operation('One connection (tokens with include_credentials=true and connection:edit)', 'connection:read'),
        params: ConnectionIdParams,
        querystring: GetConnectionQuery,
        response: { 200: z.union([ConnectionWithCredentials, ConnectionView]), ...errors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const caller = callerOf(request);
      const doc = await findOwned(caller, id);
      if (request.query.include_credentials !== 'true') return connectionView(doc);
      if (!hasScope(caller, 'connection:edit')) {
        throw new HttpError(403, 'forbidden', 'include_credentials=true needs the scope connection:edit');
      }
      // Hand out a token that is not yet due for a refresh (the plan's own rule): refresh first if it is.
      const due =
        doc.status === 'active' &&
        doc.tokenExpiresAt !== null &&
        isRefreshDue(
          {
            issuedAtMs: tokenIssuedAt(doc).getTime(),
            expiresAtMs: doc.tokenExpiresAt.getTime(),
          },
          timingForProvider(refreshTiming(ctx.config), ctx.catalog.get(doc.provider)),
          Date.now(),
        );
      const fresh = due ? owned((await refreshNow(doc)).doc, caller) : doc;
      return { ...connectionView(fresh), credentials: { ...readCredentials(ctx.keyRing, fresh) } };
    },
  );

  app.post(
    '/connections/:id/refresh',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('Refresh now (coalesced)', 'connection:edit'),
        params: ConnectionIdParams,
        response: { 200: ConnectionWithCredentials, ...errors, ...errorResponses({ 409: 'needs_reauth' }) },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const refreshed = await refreshOwned(caller, request.params.id);
      proxyTokens(ctx).evict(request.params.id);
      if (refreshed.status === 'needs_reauth') {
        throw new HttpError(
          409,
          'needs_reauth',
          'the provider refused the refresh token; authorize the connection again (POST .../reauthorize)',
        );
      }
      const fresh = owned(refreshed.doc, caller);
      // Already encoded with the route's response schema: a JSON string is sent as is.
      return reply.type('application/json; charset=utf-8').send(answerWithCredentials(fresh) as never);
    },
  );

  app.post(
    '/connections/:id/reauthorize',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('A new auth_uri (and connect_uri) for the same connection', 'connection:edit'),
        params: ConnectionIdParams,
        body: ReauthorizeBody,
        response: { 200: IssuedRequest, ...errors, ...errorResponses({ 409: 'being deleted' }) },
      },
    },
    async (request) => {
      const { body } = request;
      const doc = await findOwned(callerOf(request), request.params.id);
      await assertRedirectAllowed(ctx.store, doc.accountId, body.redirect_url);
      const { pullId, authorizationRequestId } = newPullId();
      const issued = await updateConnectionWorkflow(ctx, doc, reauthorizeUpdate, {
        authorizationRequestId,
        validitySeconds: body.validity_duration,
        redirectUrl: body.redirect_url ?? null,
        scopes: body.scopes ?? null,
        connectionName: null,
      });
      const connectUri = await openConnectPage(ctx.store, ctx.keyRing, ctx.config.PUBLIC_BASE_URL, {
        authorizationRequestId,
        accountId: doc.accountId,
        ...issued,
      });
      return issuedRequestView({ pullId, connectUri, ...issued });
    },
  );

  app.delete(
    '/connections/:id',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('Revoke at the provider and delete', 'connection:edit'),
        params: ConnectionIdParams,
        response: { 204: noBody('deleted'), ...errors },
      },
    },
    async (request, reply) => {
      const doc = await findOwned(callerOf(request), request.params.id);
      proxyTokens(ctx).evict(doc._id);
      await updateConnectionWorkflow(ctx, doc, disconnectUpdate);
      proxyTokens(ctx).evict(doc._id);
      return reply.code(204).send();
    },
  );

  app.put(
    '/connections',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation(
          "Create new connection: adopts the flow's connection (its credentials or secret_id) or imports tokens obtained elsewhere",
          'connection:edit',
        ),
        body: SaveConnectionBody,
        response: {
          200: SavedConnection,
          ...errors,
          ...errorResponses({
            409: 'these tokens were imported already (details.connection_id)',
            410: 'the secret_id was used or has expired',
            422: 'the provider refused the imported tokens',
            502: 'the provider could not be asked',
          }),
        },
      },
    },
    async (request) => {
      const { body } = request;
      const caller = callerOf(request);
      const sameType = (doc: ConnectionDoc) => {
        if (doc.provider !== body.connection_type) {
          throw new HttpError(400, 'bad_request', `these credentials belong to connection_type "${doc.provider}"`);
        }
      };
      if (body.secret_id !== undefined) {
        const doc = await redeemSecretId(ctx, caller, body.secret_id, sameType);
        return saved(await rename(doc, body.connection_name));
      }
      const credentials = body.credentials!;
      if (credentials.connection_id === undefined) {
        const { connection, existing } = await importConnection(ctx, {
          accountId: caller.accountId,
          provider: body.connection_type,
          connectionName: body.connection_name,
          credentials: importedCredentials(credentials),
          sentCredentials: credentials,
          ...(body.connection_config ? { connectionConfig: body.connection_config } : {}),
          ...ownerOf(caller, body.end_user),
          integration: null,
        });
        return { ...saved(connection), message: existing ? 'connection imported already' : 'connection imported' };
      }
      const doc = await findOwned(caller, credentials.connection_id);
      sameType(doc);
      checkCredentials(doc, credentials);
      return saved(await rename(doc, body.connection_name));
    },
  );

  app.put(
    '/connections/:id',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('Update connection by id (whole body)', 'connection:edit'),
        params: ConnectionIdParams,
        body: ReplaceConnectionBody,
        response: { 200: SavedConnection, ...errors, ...errorResponses({ 422: 'credentials not from a flow' }) },
      },
    },
    async (request) => {
      const { body } = request;
      const doc = await findOwned(callerOf(request), request.params.id);
      if (body.connection_type !== undefined && body.connection_type !== doc.provider) {
        throw new HttpError(
          400,
          'bad_request',
          `connection_type of a connection cannot change (it is "${doc.provider}")`,
        );
      }
      if (body.credentials) checkCredentials(doc, body.credentials);
      return saved(await rename(doc, body.connection_name));
    },
  );
};
