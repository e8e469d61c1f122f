import type { FastifyPluginAsync } from 'fastify';
import { secretHash } from '../../lib/crypto/secretHash.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { parseInput } from '../errors/parseInput.js';
import { CredentialsRequestBody, NewOAuth2RequestBody } from './oauth2Schemas.js';
import { issueAuthorization } from './issueAuthorization.js';
import { doc } from '../openapi/routeDoc.js';

/** The Rivery OAuth2 endpoints: a new request (pull_id + auth_uri) and its credentials. */
export const oauth2Routes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const errors = { 400: 'bad input', 401: 'no or unknown token', 403: 'missing scope' };
  app.post('/oauth2', { preHandler: requireScope('connection:edit'), config: doc({ summary: 'OAuth2 new credentials request: pull_id and auth_uri', scope: 'connection:edit', body: NewOAuth2RequestBody, responses: { ...errors, 422: 'provider not configured', 502: 'provider unreachable' } }) }, async (request) => {
    const body = parseInput(NewOAuth2RequestBody, request.body, 'body');
    const issued = await issueAuthorization(ctx, request, body);
    return { pull_id: issued.pullId, auth_uri: issued.authUri, expires_at: issued.expiresAt };
  });

  app.post('/oauth2/credentials', { preHandler: requireScope('connection:edit'), config: doc({ summary: 'OAuth2 get credentials of a pull_id', scope: 'connection:edit', body: CredentialsRequestBody, responses: { ...errors, 202: 'pending', 404: 'unknown pull_id', 410: 'expired', 422: 'the provider refused' } }) }, async (request, reply) => {
    const body = parseInput(CredentialsRequestBody, request.body, 'body');
    const caller = callerOf(request);
    const found = await ctx.store.oauthRequests.findOne({ _id: secretHash(body.pull_id) });
    const oauthRequest = found?.accountId === caller.accountId ? found : null;
    if (!oauthRequest) throw notFound('pull_id');

    const expired = oauthRequest.status === 'expired' || (oauthRequest.status === 'pending' && oauthRequest.expiresAt < new Date());
    if (expired) {
      throw new HttpError(410, 'expired', 'this OAuth2 request expired before it was authorized; create a new one', {
        expired_at: oauthRequest.expiresAt.toISOString(),
      });
    }
    if (oauthRequest.status === 'failed') {
      const failure = oauthRequest.error ?? { error: 'failed', error_description: null };
      throw new HttpError(422, failure.error, failure.error_description ?? `the provider answered ${failure.error}`, failure);
    }
    if (oauthRequest.status !== 'completed') {
      return reply.code(202).send({ status: 'pending', message: 'waiting for the user to authorize' });
    }
    // By _id alone (FerretDB matches any other filter in Go, document by document); the owner checked here.
    const stored = await ctx.store.connections.findOne({ _id: oauthRequest.connectionId });
    const connection = stored?.accountId === caller.accountId ? stored : null;
    if (!connection) throw new HttpError(410, 'deleted', 'the connection made by this request was deleted');
    const credentials = readCredentials(ctx.keyRing, connection);
    const providerName = ctx.catalog.get(connection.connectionType)?.name ?? connection.connectionType;
    return {
      status: 200,
      message: `${providerName} connected successfully`,
      connection_id: connection._id,
      datasource_id: connection.connectionType,
      ...credentials,
      expires_at: connection.tokenExpiresAt?.toISOString() ?? null,
      ...connection.providerData,
    };
  });
};
