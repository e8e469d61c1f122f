import { WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import { secretHash } from '../../lib/crypto/secretHash.js';
import { expireAuthorizationRequest, findAuthorizationRequest } from '../../lib/store/authorizationRequests.js';
import { claimCallback, findCallbackClaim, markClaimInDoubt } from '../../lib/store/callbackClaims.js';
import type { OAuthRequestDoc, OAuthRequestStatus } from '../../lib/store/documents.js';
import { callbackUpdateId, connectionWorkflowId } from '../../lib/temporal/names.js';
import { type CallbackDelivery, deliverCallbackUpdate, type FlowOutcome } from '../../workflows/connectionMessages.js';
import { isRequestExpired } from '../../workflows/requestValidity.js';
import type { ApiContext } from '../ApiContext.js';
import { type CallbackQuery, otherCallbackParams } from './callbackSchemas.js';

/** How long the browser waits for the exchange before it is told to come back for the outcome. */
const OUTCOME_WAIT_MS = 30_000;

/** A request whose callback is claimed and whose outcome is not known yet. */
const IN_FLIGHT: readonly OAuthRequestStatus[] = ['pending', 'callback_received', 'exchanging'];

/** How one provider redirect ended, for the callback page to show. */
export type CallbackResult =
  | { kind: 'outcome'; request: OAuthRequestDoc; outcome: FlowOutcome }
  | { kind: 'expired' | 'replayed' | 'still_completing' | 'unavailable' };

/**
 * The provider's redirect for a known request: claimed once (a replay delivers nothing), delivered to
 * the workflow as an update, answered with the real outcome of the exchange. If Temporal could not be
 * reached the claim is kept "in doubt", and re-sending exactly that redirect completes it (or shows
 * how it ended); any other reuse is `replayed`.
 */
export async function receiveCallback(
  ctx: ApiContext,
  request: OAuthRequestDoc,
  query: z.infer<typeof CallbackQuery> & { state: string },
  log: FastifyBaseLogger,
): Promise<CallbackResult> {
  if (isRequestExpired(request, Date.now())) return { kind: 'expired' };
  // What this redirect carries, so a re-sent copy of it can be told from a different one.
  const callbackHash = secretHash(`${query.code ?? ''}\n${query.error ?? ''}`);
  // The claim makes the callback single use; the request's status is then the workflow's to move
  // (its update validator refuses a request that expired meanwhile).
  if (!(await claimCallback(ctx.store, request._id, callbackHash))) {
    const settled = await resendOfClaimed(ctx, request, callbackHash);
    if (settled) return settled;
  }
  return deliver(
    ctx,
    request,
    {
      authorizationRequestId: request._id,
      state: query.state,
      code: query.code ?? null,
      iss: query.iss ?? null,
      error: query.error ?? null,
      errorDescription: query.error_description ?? null,
      params: otherCallbackParams(query),
    },
    log,
  );
}

/**
 * A redirect for a request whose callback is claimed: `replayed`, unless it is the very redirect whose
 * delivery was in doubt. That one shows the outcome its delivery had, or (still in flight) is
 * delivered again: undefined, and the same update id attaches it to its first delivery.
 */
async function resendOfClaimed(
  ctx: ApiContext,
  found: OAuthRequestDoc,
  callbackHash: string,
): Promise<CallbackResult | undefined> {
  const claim = await findCallbackClaim(ctx.store, found._id);
  if (!claim?.inDoubt || claim.callbackHash !== callbackHash) return { kind: 'replayed' };
  const request = (await findAuthorizationRequest(ctx.store, found._id)) ?? found;
  if (request.status === 'completed') {
    const outcome = { connected: true as const, connectionId: request.connectionId, provider: request.provider };
    return { kind: 'outcome', request, outcome };
  }
  if (request.status === 'failed' && request.error)
    return { kind: 'outcome', request, outcome: { connected: false, ...request.error } };
  if (isRequestExpired(request, Date.now())) return { kind: 'expired' };
  return IN_FLIGHT.includes(request.status) ? undefined : { kind: 'replayed' };
}

/** Delivers the callback (one update id per request: a retried delivery attaches to the one admitted). */
async function deliver(
  ctx: ApiContext,
  request: OAuthRequestDoc,
  delivery: CallbackDelivery,
  log: FastifyBaseLogger,
): Promise<CallbackResult> {
  const handle = ctx.temporal.workflow.getHandle(connectionWorkflowId(request.connectionId));
  const updateId = callbackUpdateId(request._id);
  const deadline = Date.now() + OUTCOME_WAIT_MS;
  const execute = async (): Promise<FlowOutcome> => {
    for (;;) {
      try {
        return await handle.executeUpdate(deliverCallbackUpdate, { args: [delivery], updateId });
      } catch (err) {
        // An RPC timeout under load: the same update id attaches to a delivery already admitted.
        if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError && Date.now() < deadline) continue;
        throw err;
      }
    }
  };

  try {
    const update = execute();
    const result = await Promise.race([update, timeout(OUTCOME_WAIT_MS)]);
    if (result === 'timeout') {
      update.catch(() => undefined);
      return { kind: 'still_completing' };
    }
    return { kind: 'outcome', request, outcome: result };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
      return refused(ctx, request._id);
    }
    // Delivered after all (the error came after the server admitted it)? Then answer its outcome.
    const admitted = await Promise.race([
      handle
        .getUpdateHandle<FlowOutcome>(updateId)
        .result()
        .catch(() => undefined),
      timeout(5_000).then(() => undefined),
    ]);
    if (admitted) return { kind: 'outcome', request, outcome: admitted };
    // Not known to be delivered, nor known not to be: keep the claim (an admitted delivery must find
    // it) and let exactly this redirect be re-sent, which attaches to the same update id.
    log.warn({ err }, 'could not deliver the callback');
    await markClaimInDoubt(ctx.store, request._id);
    return { kind: 'unavailable' };
  }
}

/** The workflow refused the callback, or is gone: the request expired meanwhile (marked so here), or was used. */
async function refused(ctx: ApiContext, authorizationRequestId: string): Promise<CallbackResult> {
  const request = await findAuthorizationRequest(ctx.store, authorizationRequestId);
  if (!request || !isRequestExpired(request, Date.now())) return { kind: 'replayed' };
  await expireAuthorizationRequest(ctx.store, authorizationRequestId);
  return { kind: 'expired' };
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
}
