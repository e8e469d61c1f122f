import { timingSafeEqual } from 'node:crypto';
import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { secretHash } from '../../lib/crypto/secretHash.js';
import type { OAuthRequestDoc } from '../../lib/store/documents.js';
import { callbackUpdateId, connectionWorkflowId } from '../../lib/temporal/names.js';
import { type CallbackDelivery, deliverCallbackUpdate, type FlowOutcome } from '../../workflows/connectionMessages.js';
import type { ApiContext } from '../ApiContext.js';
import { renderCallbackPage } from './renderCallbackPage.js';
import { CallbackQuery, CallbackResponses } from './callbackSchemas.js';
import { operation } from '../schema/operation.js';
import { authorizationRequestIdInState } from '../../lib/store/requestState.js';
import { claimCallback } from '../../lib/store/claimCallback.js';
import { setById } from '../../lib/store/setById.js';
import { moveRequestStatus } from '../../lib/store/moveRequestStatus.js';

/** How long the browser waits for the exchange before it is told to come back for the outcome. */
const OUTCOME_WAIT_MS = 30_000;

/**
 * GET /oauth2/callback (public): the provider's redirect. Matched to its flow by the state hash,
 * claimed once (a replay delivers nothing), delivered to the workflow as an update, and answered
 * with the real outcome of the exchange. If Temporal could not be reached the answer is 503 and
 * reloading the same redirect completes it (or shows how it ended); any other reuse is 409.
 */
export const callbackRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const limit = { max: ctx.config.CONNECTFLOW_CALLBACK_RATE_LIMIT, timeWindow: '1 minute' };
  app.get(
    '/oauth2/callback',
    {
      config: { rateLimit: limit },
      // Malformed parameters get the callback page (attachValidation), not the API's JSON error.
      attachValidation: true,
      schema: {
        ...operation('The provider redirect target (public; HTML, or JSON with Accept: application/json)'),
        querystring: CallbackQuery,
        response: CallbackResponses,
      },
    },
    async (request, reply) => {
      const page = (status: number, result: Record<string, unknown>) =>
        renderCallbackPage(request, reply, status, result);
      if (request.validationError) {
        return page(400, {
          connected: false,
          error: 'invalid_request',
          message: 'the callback parameters are malformed',
        });
      }
      const { query } = request;
      if (!query.state) {
        return page(400, {
          connected: false,
          error: 'invalid_request',
          message: 'the callback has no state parameter',
        });
      }
      const found = await findRequestByState(ctx, query.state);
      if (!found) {
        return page(400, {
          connected: false,
          error: 'invalid_state',
          message: 'this authorization response does not belong to any request',
        });
      }
      if (found.status === 'expired' || found.expiresAt < new Date()) return expiredPage(page);
      // What this redirect carries, so a re-sent copy of it can be told from a different one.
      const callbackHash = secretHash(`${query.code ?? ''}\n${query.error ?? ''}`);
      // The claim makes the callback single use; the request's status is then the workflow's to move
      // (its update validator refuses a request that expired meanwhile).
      if (!(await claimCallback(ctx.store, found._id, callbackHash))) {
        // Single use, except that the very redirect we answered 503 for may be re-sent: it attaches to
        // its own delivery (same update id) or shows the outcome that delivery had, delivering nothing new.
        const claim = await ctx.store.callbackClaims.findOne({ _id: found._id });
        if (!claim?.inDoubt || claim.callbackHash !== callbackHash) return replayedPage(page);
        const now = (await ctx.store.oauthRequests.findOne({ _id: found._id })) ?? found;
        if (now.status === 'completed') {
          return finish(
            request,
            reply,
            now,
            { connected: true, connectionId: now.connectionId, provider: now.provider },
            page,
          );
        }
        if (now.status === 'failed' && now.error)
          return finish(request, reply, now, { connected: false, ...now.error }, page);
        if (now.status === 'expired') return expiredPage(page);
        if (now.status !== 'pending' && now.status !== 'callback_received' && now.status !== 'exchanging')
          return replayedPage(page);
      }

      const handle = ctx.temporal.workflow.getHandle(connectionWorkflowId(found.connectionId));
      const delivery: CallbackDelivery = {
        authorizationRequestId: found._id,
        state: query.state,
        code: query.code ?? null,
        iss: query.iss ?? null,
        error: query.error ?? null,
        errorDescription: query.error_description ?? null,
      };
      // One update id per request: a retried delivery (RPC timeout under load, a reloaded page) attaches
      // to the update already admitted instead of delivering twice.
      const deadline = Date.now() + OUTCOME_WAIT_MS;
      const deliver = async (): Promise<FlowOutcome> => {
        for (;;) {
          try {
            return await handle.executeUpdate(deliverCallbackUpdate, {
              args: [delivery],
              updateId: callbackUpdateId(found._id),
            });
          } catch (err) {
            if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError && Date.now() < deadline) continue;
            throw err;
          }
        }
      };

      let outcome: FlowOutcome;
      try {
        const update = deliver();
        const result = await Promise.race([update, timeout(OUTCOME_WAIT_MS)]);
        if (result === 'timeout') {
          update.catch(() => undefined);
          return page(202, {
            connected: false,
            status: 'pending',
            message:
              'The authorization was received and is still being completed. The application will see the result.',
          });
        }
        outcome = result;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
          const now = await ctx.store.oauthRequests.findOne({ _id: found._id });
          if (now?.status === 'expired' || (now && now.expiresAt < new Date())) {
            await moveRequestStatus(ctx.store, found._id, ['pending', 'callback_received'], { status: 'expired' });
            return expiredPage(page);
          }
          return replayedPage(page);
        }
        // Delivered after all (the error came after the server admitted it)? Then answer its outcome.
        const admitted = await Promise.race([
          handle
            .getUpdateHandle<FlowOutcome>(callbackUpdateId(found._id))
            .result()
            .catch(() => undefined),
          timeout(5_000).then(() => undefined),
        ]);
        if (admitted) return finish(request, reply, found, admitted, page);
        // Not known to be delivered, nor known not to be: keep the claim (an admitted delivery must find
        // it) and let exactly this redirect be re-sent, which attaches to the same update id.
        request.log.warn({ err }, 'could not deliver the callback');
        await setById(ctx.store.callbackClaims, found._id, { $set: { inDoubt: true } });
        return page(503, {
          connected: false,
          error: 'temporarily_unavailable',
          message: 'The authorization could not be completed right now. Reload this page in a moment to try again.',
        });
      }
      return finish(request, reply, found, outcome, page);
    },
  );
};

type Page = (status: number, result: Record<string, unknown>) => FastifyReply;

const expiredPage = (page: Page) =>
  page(410, {
    connected: false,
    error: 'expired',
    message: 'this authorization request has expired; please start again',
  });

const replayedPage = (page: Page) =>
  page(409, { connected: false, error: 'already_used', message: 'this authorization response was already used' });

function finish(
  _request: FastifyRequest,
  reply: FastifyReply,
  oauthRequest: OAuthRequestDoc,
  outcome: FlowOutcome,
  page: Page,
): FastifyReply {
  if (oauthRequest.redirectUrl) {
    const target = new URL(oauthRequest.redirectUrl);
    if (outcome.connected) target.searchParams.set('connection_id', outcome.connectionId);
    else {
      target.searchParams.set('error', outcome.error);
      if (outcome.error_description) target.searchParams.set('error_description', outcome.error_description);
    }
    return reply.code(302).header('cache-control', 'no-store').redirect(target.href);
  }
  if (outcome.connected) {
    return page(200, { connected: true, connection_id: outcome.connectionId, datasource_id: outcome.provider });
  }
  return page(422, { connected: false, error: outcome.error, error_description: outcome.error_description });
}

/** By the request id the state carries (the `_id` fast path), then the full state's hash must match. */
async function findRequestByState(ctx: ApiContext, state: string): Promise<OAuthRequestDoc | null> {
  const stateHash = secretHash(state);
  const id = authorizationRequestIdInState(state);
  if (id === undefined) return ctx.store.oauthRequests.findOne({ stateHash });
  const found = await ctx.store.oauthRequests.findOne({ _id: id });
  return found && sameHash(found.stateHash, stateHash) ? found : null;
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}
