import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callbackDuration } from '../../lib/metrics/flowMetrics.js';
import { accountOf } from '../../lib/store/accounts.js';
import { findAuthorizationRequestByState } from '../../lib/store/authorizationRequests.js';
import type { OAuthRequestDoc } from '../../lib/store/documents.js';
import { mintFlowSecret } from '../../lib/store/flowSecrets.js';
import type { FlowOutcome } from '../../workflows/connectionMessages.js';
import type { ApiContext } from '../ApiContext.js';
import { operation } from '../schema/operation.js';
import { CallbackQuery, CallbackResponses } from './callbackSchemas.js';
import { receiveCallback } from './receiveCallback.js';
import { type ConnectHandBack, handBackUrl, renderCallbackPage } from './renderCallbackPage.js';

type Page = (status: number, result: Record<string, unknown>) => FastifyReply;

/**
 * GET /oauth2/callback (public): the provider's redirect, matched to its request by the state and
 * handed to receiveCallback; this file turns how it ended into the page (or the redirect_url).
 */
export const callbackRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const limit = { max: ctx.config.CONNECTFLOW_CALLBACK_RATE_LIMIT, timeWindow: '1 minute' };
  app.get(
    '/oauth2/callback',
    {
      config: { rateLimit: limit },
      onResponse: async (_request, reply) => {
        callbackDuration.observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      },
      // Malformed parameters get the callback page (attachValidation), not the API's JSON error.
      attachValidation: true,
      schema: {
        ...operation('The provider redirect target (public; HTML, or JSON with Accept: application/json)'),
        querystring: CallbackQuery,
        response: CallbackResponses,
      },
    },
    async (request, reply) => {
      // A flow begun on the connect page is answered with its result page (and its popup's opener told).
      let handBack: ConnectHandBack | undefined;
      const page: Page = (status, result) => renderCallbackPage(request, reply, status, result, handBack);
      const invalid = (error: string, message: string) => page(400, { connected: false, error, message });
      if (request.validationError) return invalid('invalid_request', 'the callback parameters are malformed');
      const { query } = request;
      if (!query.state) return invalid('invalid_request', 'the callback has no state parameter');
      const found = await findAuthorizationRequestByState(ctx.store, query.state);
      if (!found) return invalid('invalid_state', 'this authorization response does not belong to any request');
      if (found.viaConnectPage) handBack = await connectHandBack(ctx, found);

      const result = await receiveCallback(ctx, found, { ...query, state: query.state }, request.log);
      switch (result.kind) {
        case 'outcome':
          return finish(ctx, reply, result.request, result.outcome, page);
        case 'expired':
          return page(410, {
            connected: false,
            error: 'expired',
            message: 'this authorization request has expired; please start again',
          });
        case 'replayed':
          return page(409, {
            connected: false,
            error: 'already_used',
            message: 'this authorization response was already used',
          });
        case 'still_completing':
          return page(202, {
            connected: false,
            status: 'pending',
            message:
              'The authorization was received and is still being completed. The application will see the result.',
          });
        case 'unavailable':
          return page(503, {
            connected: false,
            error: 'temporarily_unavailable',
            message: 'The authorization could not be completed right now. Reload this page in a moment to try again.',
          });
      }
    },
  );
};

/**
 * The outcome (Rivery's field names): to the request's redirect_url (or, failed, its error page)
 * when it has one, else on the page. A success sent to redirect_url also carries a `secret_id` that
 * `PUT /api/connections` takes in place of credentials. A flow begun on the connect page always gets
 * its result page, which has a button back.
 */
async function finish(
  ctx: ApiContext,
  reply: FastifyReply,
  oauthRequest: OAuthRequestDoc,
  outcome: FlowOutcome,
  page: Page,
): Promise<FastifyReply> {
  const [status, result]: [number, Record<string, unknown>] = outcome.connected
    ? [200, { connected: true, connection_id: outcome.connectionId, datasource_id: outcome.provider }]
    : [422, { connected: false, error: outcome.error, error_description: outcome.error_description }];
  // A failure goes to the error page when the request has one (an integration's), else to redirect_url.
  const target = outcome.connected
    ? oauthRequest.redirectUrl
    : (oauthRequest.errorRedirectUrl ?? oauthRequest.redirectUrl);
  if (target && !oauthRequest.viaConnectPage) {
    if (outcome.connected) {
      const made = { accountId: oauthRequest.accountId, connectionId: outcome.connectionId };
      result.secret_id = await mintFlowSecret(ctx.store, { ...made, expiresAt: oauthRequest.expiresAt });
    }
    return reply.code(302).header('cache-control', 'no-store').redirect(handBackUrl(target, result));
  }
  return page(status, result);
}

async function connectHandBack(ctx: ApiContext, oauthRequest: OAuthRequestDoc): Promise<ConnectHandBack> {
  const account = await accountOf(ctx.store, oauthRequest.accountId);
  return {
    providerName: ctx.catalog.get(oauthRequest.provider)?.name ?? oauthRequest.provider,
    accountLabel: account?.name ?? `Account ${oauthRequest.accountId}`,
    redirectUrl: oauthRequest.redirectUrl,
    origins: account?.redirectOrigins ?? [],
  };
}
