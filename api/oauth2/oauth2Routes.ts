import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findAuthorizationRequest } from '../../lib/store/authorizationRequests.js';
import { findConnection } from '../../lib/store/connections.js';
import { authorizationRequestIdOf } from '../../lib/store/pullId.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import { isRequestExpired } from '../../workflows/requestValidity.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { visibleTo } from '../connections/connectionAccess.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { CredentialsRequestBody, IssuedRequest, issuedRequestView, NewOAuth2RequestBody } from './oauth2Schemas.js';
import { issueAuthorization } from './issueAuthorization.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { openConnectPage } from '../connect/openConnectPage.js';
import { oauthAppCredentials } from '../../lib/providers/oauthAppCredentials.js';
import type { ProviderEntry } from '../../lib/providers/providerEntry.js';
import type { OAuthAppRef } from '../../lib/store/documents.js';

/**
 * The credentials and the provider's own fields, spread in last (a catalog may name any field), so
 * loose and unconstrained: nothing is dropped and no provider's field can fail the serializer.
 */
const Credentials = z.looseObject({
  status: z.unknown().describe('200'),
  message: z.unknown().describe('string'),
  connection_id: z.unknown().describe('string'),
  datasource_id: z.unknown().describe('string'),
  access_token: z.unknown().describe('string'),
  expires_at: z.unknown().describe('ISO date-time or null'),
  status_code: z.unknown().describe('200'),
  expires_in: z.unknown().describe('seconds the access token has left, or null'),
  token_type: z.unknown().describe('string'),
  client_id: z.unknown().describe('the client id of the OAuth app the connection was authorized with'),
  application_id: z.unknown().describe('null'),
  scope: z.unknown().describe('the granted scopes, space separated'),
});
const Pending = z.object({ status: z.literal('pending'), message: z.string() });

/** The Rivery OAuth2 endpoints: a new request (pull_id + auth_uri) and its credentials. */
export const oauth2Routes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = { 400: 'bad input', 401: 'no or unknown token', 403: 'missing scope' } as const;
  app.post(
    '/oauth2',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('OAuth2 new credentials request: pull_id, auth_uri and connect_uri', 'connection:edit'),
        body: NewOAuth2RequestBody,
        response: {
          200: IssuedRequest,
          ...errorResponses({ ...errors, 422: 'provider not configured', 502: 'provider unreachable' }),
        },
      },
    },
    async (request) => {
      const issued = await issueAuthorization(ctx, request, request.body);
      const connectUri = await openConnectPage(ctx.store, ctx.keyRing, ctx.config.PUBLIC_BASE_URL, {
        authorizationRequestId: authorizationRequestIdOf(issued.pullId),
        accountId: callerOf(request).accountId,
        ...issued,
      });
      return issuedRequestView({ ...issued, connectUri });
    },
  );

  app.post(
    '/oauth2/credentials',
    {
      preValidation: requireScope('connection:edit'),
      schema: {
        ...operation('OAuth2 get credentials of a pull_id', 'connection:edit'),
        body: CredentialsRequestBody,
        response: {
          200: Credentials,
          202: Pending.describe('pending'),
          ...errorResponses({ ...errors, 404: 'unknown pull_id', 410: 'expired', 422: 'the provider refused' }),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const caller = callerOf(request);
      const found = await findAuthorizationRequest(ctx.store, authorizationRequestIdOf(body.pull_id));
      // A user-bound token reads only its own user's requests.
      const oauthRequest =
        found && visibleTo({ accountId: found.accountId, ownerId: found.ownerId ?? null }, caller) ? found : null;
      if (!oauthRequest) throw notFound('pull_id');

      if (isRequestExpired(oauthRequest, Date.now())) {
        throw new HttpError(410, 'expired', 'this OAuth2 request expired before it was authorized; create a new one', {
          expired_at: oauthRequest.expiresAt.toISOString(),
        });
      }
      if (oauthRequest.status === 'failed') {
        const failure = oauthRequest.error ?? { error: 'failed', error_description: null };
        throw new HttpError(
          422,
          failure.error,
          failure.error_description ?? `the provider answered ${failure.error}`,
          failure,
        );
      }
      if (oauthRequest.status !== 'completed') {
        return reply.code(202).send({ status: 'pending', message: 'waiting for the user to authorize' });
      }
      // By _id alone (lib/store/README.md, rule 1); the owner is checked here.
      const stored = await findConnection(ctx.store, oauthRequest.connectionId);
      const connection = stored && visibleTo(stored, caller) ? stored : null;
      if (!connection) throw new HttpError(410, 'deleted', 'the connection made by this request was deleted');
      const credentials = readCredentials(ctx.keyRing, connection);
      const entry = ctx.catalog.get(connection.provider);
      const expiresAt = connection.tokenExpiresAt;
      // Rivery's field names next to ours, so a client reading either works.
      return {
        status: 200,
        status_code: 200,
        message: `Connected to ${entry?.name ?? connection.provider}`,
        connection_id: connection._id,
        datasource_id: connection.provider,
        client_id: entry ? await oauthAppClientId(ctx, entry, connection.oauthApp) : null,
        application_id: null,
        scope: connection.scopes.join(' '),
        ...credentials,
        expires_at: expiresAt?.toISOString() ?? null,
        expires_in: expiresAt ? Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000)) : null,
        ...connection.providerData,
      };
    },
  );
};

/** The client id of the OAuth app a connection was authorized with (null when the service's is no longer configured). */
async function oauthAppClientId(ctx: ApiContext, entry: ProviderEntry, ref: OAuthAppRef | undefined) {
  if (ref?.kind === 'account') return ref.clientId;
  return (await oauthAppCredentials(ctx.store, ctx.keyRing, ctx.config, entry, ref))?.clientId ?? null;
}
