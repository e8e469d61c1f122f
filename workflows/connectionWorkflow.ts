import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IssuedAuthorization } from '../activities/createAuthorizationRequest.js';
import type { RefreshTiming } from '../lib/config.js';
import { ConnectionStatusAttribute } from '../lib/temporal/names.js';
import { connectionActivities, providerError, refusal } from './activityOptions.js';
import {
  type AuthorizationRequestOptions,
  type CallbackDelivery,
  type ConnectionSnapshot,
  type ConnectionWorkflowInput,
  type FlowOutcome,
  type TokenClock,
  type WorkflowStatus,
  deliverCallbackUpdate,
  disconnectUpdate,
  issueAuthorizationUpdate,
  reauthorizeUpdate,
  refreshUpdate,
  statusQuery,
} from './connectionMessages.js';
import { planRefresh } from './planRefresh.js';
import { throttleRefreshes } from './refreshThrottle.js';

/** One authorization request waiting for the provider's redirect. */
interface PendingRequest {
  authorizationRequestId: string;
  issued: IssuedAuthorization;
  expiresAtMs: number;
  callback?: CallbackDelivery;
}

/**
 * One connection, one workflow (`connection/<connectionId>`), for the connection's whole life:
 * `authorize` (issue the auth_uri, wait for the callback under the validity timer, exchange the code),
 * then `keepFresh` (timer, refresh, continue as new) until `disconnect`. Tokens never enter this code:
 * activities store them and return only their times.
 */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<{ status: WorkflowStatus }> {
  const { connectionId } = input;
  const saved = input.saved;
  let timing: RefreshTiming = input.timing;
  const activities = connectionActivities(timing);

  let status: WorkflowStatus = saved?.status ?? 'pending';
  let clock: TokenClock = saved
    ? {
        tokenIssuedAt: saved.tokenIssuedAt,
        tokenExpiresAt: saved.tokenExpiresAt,
        refreshTokenExpiresAt: saved.refreshTokenExpiresAt,
      }
    : { tokenIssuedAt: null, tokenExpiresAt: null, refreshTokenExpiresAt: null };
  let lastRefreshedAt = saved?.lastRefreshedAt ?? null;
  let recentRefreshes = saved?.recentRefreshes ?? [];
  let refreshPausedUntil = saved?.refreshPausedUntil ?? null;
  let request: PendingRequest | undefined;
  let refreshing: { scope: CancellationScope; result: Promise<ConnectionSnapshot> } | undefined;
  let lastRefreshMs: number | undefined;
  let disconnecting = false;
  let revoked: boolean | undefined;
  const outcomes = new Map<PendingRequest, FlowOutcome>();

  // ---- handlers: what the API may ask at any time
  setHandler(statusQuery, snapshot);
  setHandler(issueAuthorizationUpdate, async () => {
    await condition(() => request !== undefined);
    return request!.issued;
  });
  setHandler(
    deliverCallbackUpdate,
    async (delivered) => {
      const current = request!;
      current.callback = delivered;
      await condition(() => outcomes.has(current));
      return outcomes.get(current)!;
    },
    { validator: acceptCallback },
  );
  setHandler(refreshUpdate, refreshCoalesced, {
    validator: () => {
      assertNotDeleting();
      if (status === 'needs_reauth') {
        throw refusal(
          'needs_reauth',
          'the provider refused the refresh token; authorize the connection again (POST .../reauthorize)',
        );
      }
      if (status !== 'active') throw refusal('conflict', `the connection is ${status}`);
    },
  });
  setHandler(reauthorizeUpdate, reauthorize, {
    validator: (_options: AuthorizationRequestOptions) => {
      assertNotDeleting();
      if (status !== 'active' && status !== 'needs_reauth') throw refusal('conflict', `the connection is ${status}`);
    },
  });
  setHandler(disconnectUpdate, async () => {
    disconnecting = true;
    refreshing?.scope.cancel();
    await condition(() => revoked !== undefined);
    return { revoked: revoked! };
  });

  // ---- the connection's life
  if (input.saved) showStatus();
  else {
    const outcome = await authorize(input.authorize);
    if (disconnecting) return disconnect();
    if (!outcome?.connected) return finish(outcome ? 'failed' : 'expired');
  }
  return keepFresh();

  // ---- authorize: issue, wait under the validity timer, exchange, outcome
  async function authorize(options: AuthorizationRequestOptions): Promise<FlowOutcome | undefined> {
    return awaitCallback(await issueRequest(options));
  }

  async function issueRequest(options: AuthorizationRequestOptions): Promise<PendingRequest> {
    const issued = await activities.authorize.createAuthorizationRequest({
      connectionId,
      accountId: input.accountId,
      provider: input.provider,
      ...options,
    });
    await expireWaitingRequest(); // a newer request replaces one still waiting
    request = {
      authorizationRequestId: options.authorizationRequestId,
      issued,
      expiresAtMs: Date.parse(issued.expiresAt),
    };
    return request;
  }

  /** The outcome of one request, or undefined when it expired, was replaced or the connection is being deleted. */
  async function awaitCallback(current: PendingRequest): Promise<FlowOutcome | undefined> {
    await condition(
      () => current.callback !== undefined || request !== current || disconnecting,
      current.expiresAtMs - Date.now(),
    );
    if (!current.callback) {
      if (request === current && !disconnecting) await expireWaitingRequest();
      return undefined;
    }
    const outcome = await exchange(current.authorizationRequestId, current.callback);
    outcomes.set(current, outcome);
    if (request === current) request = undefined;
    if (outcome.connected) setStatus('active');
    return outcome;
  }

  async function exchange(authorizationRequestId: string, received: CallbackDelivery): Promise<FlowOutcome> {
    const fail = async (details: { error: string; error_description: string | null }): Promise<FlowOutcome> => {
      await activities.quick.markRequestFailed(authorizationRequestId, details);
      return { connected: false, ...details };
    };
    if (received.error) return fail({ error: received.error, error_description: received.errorDescription });
    if (!received.code)
      return fail({ error: 'invalid_request', error_description: 'the callback carried neither code nor error' });
    try {
      const result = await activities.exchange.exchangeCodeAndSave({
        authorizationRequestId,
        callback: { code: received.code, state: received.state, iss: received.iss },
      });
      clock = result.clock;
      timing = result.timing;
      return { connected: true, connectionId, provider: input.provider };
    } catch (err) {
      return fail(providerError(err));
    }
  }

  /** A new auth_uri for this connection; the connection keeps its tokens until the new ones arrive. */
  async function reauthorize(options: AuthorizationRequestOptions): Promise<IssuedAuthorization> {
    const current = await issueRequest(options);
    void awaitCallback(current);
    return current.issued;
  }

  // ---- keepFresh: timer, refresh, carry on as a new run
  async function keepFresh(): Promise<{ status: WorkflowStatus }> {
    for (;;) {
      const planned = { clock, status };
      const dueAt = status === 'active' ? nextRefreshAt() : undefined;
      const changed = () => disconnecting || clock !== planned.clock || status !== planned.status;
      const woken =
        dueAt === undefined
          ? await condition(changed).then(() => true)
          : await condition(changed, Math.max(0, dueAt - Date.now()));
      if (disconnecting) return disconnect();
      if (status === 'deleted') return finish('deleted'); // the document vanished (deleted elsewhere)
      if (woken) {
        if (workflowInfo().continueAsNewSuggested && !request && !refreshing && !disconnecting) await carryOn();
        continue;
      }
      if (await pausedByThrottle()) continue;
      recentRefreshes = [...recentRefreshes, Date.now()];
      try {
        await refreshCoalesced();
      } catch (err) {
        if (isCancellation(err)) continue;
        throw err;
      }
      if (currentStatus() === 'deleted') return finish('deleted');
      if (!request && !disconnecting) await carryOn();
    }
  }

  function nextRefreshAt(): number | undefined {
    const at = planRefresh(clock, timing, Math.random, recentRefreshes.at(-1));
    return at === undefined ? undefined : Math.max(at, refreshPausedUntil ?? at);
  }

  /** The throttle's verdict on a planned refresh that is due: true when it starts (and records) a pause. */
  async function pausedByThrottle(): Promise<boolean> {
    if (refreshPausedUntil !== null) {
      refreshPausedUntil = null;
      setCurrentDetails('');
      return false;
    }
    const verdict = throttleRefreshes(recentRefreshes, Date.now(), timing.throttle);
    recentRefreshes = verdict.recent;
    if (verdict.pausedUntilMs === undefined) return false;
    refreshPausedUntil = verdict.pausedUntilMs;
    const resumesAt = new Date(refreshPausedUntil).toISOString();
    setCurrentDetails(
      `Planned refreshes paused until ${resumesAt}: ${timing.throttle.limit} within ${timing.throttle.windowSeconds} s.`,
    );
    await activities.quick.recordRefreshThrottled({ connectionId, resumesAt, timing });
    return true;
  }

  /** One token-endpoint call for everyone asking while it runs or shortly after it finished. */
  function refreshCoalesced(): Promise<ConnectionSnapshot> {
    if (refreshing) return refreshing.result;
    if (lastRefreshMs !== undefined && Date.now() - lastRefreshMs < timing.coalesceSeconds * 1000)
      return Promise.resolve(snapshot());
    const scope = new CancellationScope();
    const result = scope
      .run(() => activities.refresh.refreshTokens({ connectionId }))
      .then((refreshed) => {
        lastRefreshMs = Date.now();
        if (refreshed.status === 'missing') {
          setStatus('deleted');
          return snapshot();
        }
        clock = refreshed.clock;
        timing = refreshed.timing;
        lastRefreshedAt = refreshed.lastRefreshedAt;
        setStatus(refreshed.status);
        return snapshot();
      })
      .finally(() => {
        refreshing = undefined;
      });
    refreshing = { scope, result };
    return result;
  }

  /** Keeps each run's history small: a fresh run with the connection's state (and nothing else) carried over. */
  async function carryOn(): Promise<never> {
    await condition(allHandlersFinished);
    return continueAsNew<typeof connectionWorkflow>({
      connectionId,
      accountId: input.accountId,
      provider: input.provider,
      timing,
      saved: {
        ...clock,
        status: status === 'needs_reauth' ? 'needs_reauth' : 'active',
        lastRefreshedAt,
        recentRefreshes,
        refreshPausedUntil,
      },
    });
  }

  // ---- disconnect: revoke, delete, end
  async function disconnect(): Promise<{ status: WorkflowStatus }> {
    await refreshing?.result.catch(() => undefined);
    await expireWaitingRequest();
    revoked = (await activities.quick.disconnectConnection({ connectionId })).revoked;
    return finish('deleted');
  }

  async function finish(final: WorkflowStatus): Promise<{ status: WorkflowStatus }> {
    setStatus(final);
    await condition(allHandlersFinished);
    return { status };
  }

  // ---- small helpers
  /** (read through a function: handlers and activities change it between awaits) */
  function currentStatus(): WorkflowStatus {
    return status;
  }

  function snapshot(): ConnectionSnapshot {
    return { status, ...clock, lastRefreshedAt };
  }

  function setStatus(next: WorkflowStatus): void {
    if (next === status) return;
    status = next;
    upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: next }]);
  }

  /** A run started with its status (continueAsNew copies the attributes) needs no upsert: it would be a visibility write per refresh. */
  function showStatus(): void {
    if (workflowInfo().typedSearchAttributes.get(ConnectionStatusAttribute) !== status) {
      upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: status }]);
    }
  }

  async function expireWaitingRequest(): Promise<void> {
    if (!request || request.callback) return;
    const waiting = request;
    request = undefined;
    await activities.quick.markRequestExpired(waiting.authorizationRequestId);
  }

  function acceptCallback(delivered: CallbackDelivery): void {
    if (!request || request.authorizationRequestId !== delivered.authorizationRequestId)
      throw new Error('this authorization request is not the current one');
    if (request.callback) throw new Error('a callback was already delivered for this authorization request');
    if (Date.now() >= request.expiresAtMs) throw new Error('this authorization request has expired');
    if (disconnecting) throw new Error('the connection is being deleted');
  }

  function assertNotDeleting(): void {
    if (disconnecting || status === 'deleted') throw refusal('conflict', 'the connection is being deleted');
  }
}
