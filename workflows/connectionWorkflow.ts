import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/createActivities.js';
import type { IssuedAuthorization } from '../activities/createAuthorizationRequest.js';
import type { ProviderErrorDetails } from '../activities/exchangeCodeAndSave.js';
import type { ConnectionStatus } from '../lib/store/documents.js';
import { ConnectionStatusAttribute } from '../lib/temporal/names.js';
import {
  type AuthorizationRequestOptions,
  type CallbackDelivery,
  type ConnectionSnapshot,
  type ConnectionWorkflowInput,
  type FlowOutcome,
  type TokenClock,
  deliverCallbackUpdate,
  disconnectUpdate,
  issueAuthorizationUpdate,
  reauthorizeUpdate,
  refreshUpdate,
  statusQuery,
} from './connectionMessages.js';
import { planRefresh } from './planRefresh.js';
import { throttleRefreshes } from './refreshThrottle.js';

/**
 * Marks runs that call their activities as local activities and skip a redundant status upsert at
 * their start (runs started before it replay as they ran). Runs whose input says `localActivities`
 * do the same without asking.
 */
const LOCAL_ACTIVITIES_PATCH = 'local-activities';

/**
 * Activity options, from the timing in the workflow's input. `activityTimeoutSeconds` bounds one attempt.
 * Local activities (every run since LOCAL_ACTIVITIES_PATCH) run inside the workflow task, on the worker
 * that holds the workflow: no activity task to schedule, dispatch and complete, and two fewer workflow
 * tasks per step. If that worker dies mid-activity, the workflow task times out and another worker
 * replays and runs the activity again (the activities are written for that: see exchangeCodeAndSave).
 * Retries past a minute wait on a durable timer.
 */
function activitiesFor(timing: ConnectionWorkflowInput['timing'], local: boolean) {
  const attemptSeconds = timing.activityTimeoutSeconds ?? 60;
  const proxy = local ? proxyLocalActivities<ConnectionActivities> : proxyActivities<ConnectionActivities>;
  return {
    quick: proxy({
      startToCloseTimeout: `${Math.min(30, attemptSeconds)} seconds`,
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
    }),
    /** Preparing an auth_uri is bounded, so `POST /api/oauth2` answers (502) instead of hanging on a dead provider. */
    authorize: proxy({
      startToCloseTimeout: `${Math.min(15, attemptSeconds)} seconds`,
      scheduleToCloseTimeout: `${Math.max(20, attemptSeconds * 2 + 5)} seconds`,
      retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds' },
    }),
    /** The exchange retries 5xx/timeouts with backoff for up to 10 minutes; 4xx are final (non-retryable). */
    exchange: proxy({
      startToCloseTimeout: `${attemptSeconds} seconds`,
      scheduleToCloseTimeout: '10 minutes',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '60 seconds' },
    }),
    /** Refreshes retry 5xx/timeouts forever, with backoff capped at retryMaxSeconds: a broken provider never loses the connection. */
    refresh: proxy({
      startToCloseTimeout: `${attemptSeconds} seconds`,
      retry: {
        initialInterval: timing.retryInitialSeconds * 1000,
        backoffCoefficient: 2,
        maximumInterval: timing.retryMaxSeconds * 1000,
      },
    }),
  };
}

interface AuthFlow {
  issued: IssuedAuthorization;
  expiresAtMs: number;
  callback?: CallbackDelivery;
  outcome?: FlowOutcome;
}

/**
 * One connection, one workflow (`connection/<connectionId>`), for the connection's whole life:
 * issue the auth_uri and wait for the provider's callback under the validity timer; exchange the code
 * and save; then keep the tokens fresh with durable timers (continueAsNew after each planned
 * refresh), answer refresh / reauthorize / disconnect updates, and end when the connection is deleted.
 * Tokens never enter this code: activities store them and return only expiry times.
 */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<{ status: ConnectionStatus }> {
  const { timing } = input;
  const sincePatch = input.localActivities === true || patched(LOCAL_ACTIVITIES_PATCH);
  const { quick, authorize: authorizeActivities, exchange, refresh: refreshActivities } = activitiesFor(timing, sincePatch);

  let status: ConnectionStatus = input.saved?.status ?? 'pending';
  let clock: TokenClock = input.saved
    ? { tokenIssuedAt: input.saved.tokenIssuedAt, tokenExpiresAt: input.saved.tokenExpiresAt, refreshTokenExpiresAt: input.saved.refreshTokenExpiresAt }
    : { tokenIssuedAt: null, tokenExpiresAt: null, refreshTokenExpiresAt: null };
  let lastRefreshedAt: string | null = input.saved?.lastRefreshedAt ?? null;
  let recentRefreshes: number[] = input.saved?.recentRefreshes ?? [];
  let refreshPausedUntil: number | null = input.saved?.refreshPausedUntil ?? null;
  let lastRefreshMs: number | undefined;
  let flow: AuthFlow | undefined;
  let refreshing: { scope: CancellationScope; result: Promise<ConnectionSnapshot> } | undefined;
  let disconnectRequested = false;
  let revoked: boolean | undefined;
  let changes = 0; // bumped whenever the plan may have changed

  /** (read through a function: handlers and activities change it between awaits) */
  const statusNow = (): ConnectionStatus => status;
  const snapshot = (): ConnectionSnapshot => ({ status, ...clock, lastRefreshedAt });
  const setStatus = (next: ConnectionStatus) => {
    if (next === status) return;
    status = next;
    upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: next }]);
  };
  // A run started with its status (saved connection, continueAsNew: Temporal copies the attributes)
  // needs no upsert; one per run was a visibility write per refresh.
  const statusShown = workflowInfo().typedSearchAttributes.get(ConnectionStatusAttribute);
  if (input.saved && !(sincePatch && statusShown === status)) upsertSearchAttributes([{ key: ConnectionStatusAttribute, value: status }]);

  const startFlow = async (options: AuthorizationRequestOptions): Promise<IssuedAuthorization> => {
    const issued = await authorizeActivities.createAuthorizationRequest({
      connectionId: input.connectionId,
      accountId: input.accountId,
      datasourceId: input.datasourceId,
      ...options,
    });
    if (flow && !flow.callback) await quick.markRequestExpired(flow.issued.requestId);
    flow = { issued, expiresAtMs: Date.parse(issued.expiresAt) };
    changes++;
    return issued;
  };

  /** One token-endpoint call for everyone asking while it runs or shortly after it finished. */
  const refreshCoalesced = (): Promise<ConnectionSnapshot> => {
    if (refreshing) return refreshing.result;
    if (lastRefreshMs !== undefined && Date.now() - lastRefreshMs < timing.coalesceSeconds * 1000) {
      return Promise.resolve(snapshot());
    }
    const scope = new CancellationScope();
    const result = scope
      .run(() => refreshActivities.refreshTokens({ connectionId: input.connectionId }))
      .then((refreshed) => {
        clock = {
          tokenIssuedAt: refreshed.tokenIssuedAt,
          tokenExpiresAt: refreshed.tokenExpiresAt,
          refreshTokenExpiresAt: refreshed.refreshTokenExpiresAt,
        };
        lastRefreshedAt = refreshed.lastRefreshedAt;
        lastRefreshMs = Date.now();
        setStatus(refreshed.status === 'missing' ? 'deleted' : refreshed.status);
        return snapshot();
      })
      .finally(() => {
        refreshing = undefined;
        changes++;
      });
    refreshing = { scope, result };
    return result;
  };

  setHandler(statusQuery, snapshot);
  setHandler(issueAuthorizationUpdate, async () => {
    await condition(() => flow !== undefined);
    return flow!.issued;
  });
  setHandler(
    deliverCallbackUpdate,
    async (delivered) => {
      const current = flow!;
      current.callback = delivered;
      changes++;
      await condition(() => current.outcome !== undefined);
      return current.outcome!;
    },
    {
      validator: (delivered: CallbackDelivery) => {
        if (!flow || flow.issued.requestId !== delivered.requestId) throw new Error('this authorization request is not the current one');
        if (flow.callback) throw new Error('a callback was already delivered for this authorization request');
        if (Date.now() >= flow.expiresAtMs) throw new Error('this authorization request has expired');
      },
    },
  );
  setHandler(refreshUpdate, () => refreshCoalesced(), {
    validator: () => {
      if (disconnectRequested || status === 'deleted') throw new Error('the connection is being deleted');
      if (status === 'needs_reauth') {
        throw ApplicationFailure.create({
          type: 'needs_reauth',
          message: 'the provider refused the refresh token; authorize the connection again (POST .../reauthorize)',
          nonRetryable: true,
        });
      }
      if (status !== 'active') throw new Error(`the connection is ${status}`);
    },
  });
  setHandler(reauthorizeUpdate, startFlow, {
    validator: (_options: AuthorizationRequestOptions) => {
      if (disconnectRequested || status === 'deleted') throw new Error('the connection is being deleted');
      if (status !== 'active' && status !== 'needs_reauth') throw new Error(`the connection is ${status}`);
    },
  });
  setHandler(disconnectUpdate, async () => {
    disconnectRequested = true;
    refreshing?.scope.cancel();
    changes++;
    await condition(() => revoked !== undefined);
    return { revoked: revoked! };
  });

  if (input.authorize) await startFlow(input.authorize);

  for (;;) {
    const planned = status === 'active' && !refreshing ? planRefresh(clock, timing, Math.random, recentRefreshes.at(-1)) : undefined;
    const dueAt = planned === undefined ? undefined : Math.max(planned, refreshPausedUntil ?? planned);
    const flowDeadline = flow && !flow.callback ? flow.expiresAtMs : undefined;
    const deadlines = [dueAt, flowDeadline].filter((t): t is number => t !== undefined);
    const wakeAt = deadlines.length ? Math.min(...deadlines) : undefined;
    const seen = changes;
    if (wakeAt === undefined) await condition(() => changes !== seen);
    else await condition(() => changes !== seen, Math.max(0, wakeAt - Date.now()));

    if (disconnectRequested) {
      await refreshing?.result.catch(() => undefined);
      if (flow && !flow.callback) await quick.markRequestExpired(flow.issued.requestId);
      const result = await quick.disconnectConnection({ connectionId: input.connectionId });
      revoked = result.revoked;
      setStatus('deleted');
      await condition(allHandlersFinished);
      return { status };
    }

    if (flow?.callback && !flow.outcome) {
      await completeFlow(flow);
      if (statusNow() === 'failed') break;
      continue;
    }

    if (flow && !flow.callback && Date.now() >= flow.expiresAtMs) {
      await quick.markRequestExpired(flow.issued.requestId);
      flow = undefined;
      if (status === 'pending') {
        setStatus('expired');
        break;
      }
      continue;
    }

    if (statusNow() === 'deleted') break; // the document vanished under us (deleted elsewhere)

    if (dueAt !== undefined && Date.now() >= dueAt) {
      if (refreshPausedUntil !== null) {
        refreshPausedUntil = null;
        setCurrentDetails('');
      } else {
        const throttled = throttleRefreshes(recentRefreshes, Date.now(), timing.throttle);
        recentRefreshes = throttled.recent;
        if (throttled.pausedUntilMs !== undefined) {
          refreshPausedUntil = throttled.pausedUntilMs;
          const resumesAt = new Date(refreshPausedUntil).toISOString();
          setCurrentDetails(`Planned refreshes paused until ${resumesAt}: ${timing.throttle.limit} within ${timing.throttle.windowSeconds} s.`);
          await quick.recordRefreshThrottled({ connectionId: input.connectionId, resumesAt, timing });
          continue;
        }
      }
      recentRefreshes = [...recentRefreshes, Date.now()];
      try {
        await refreshCoalesced();
      } catch (err) {
        if (!isCancellation(err)) throw err;
        continue;
      }
      if (status === 'active' && !flow && !disconnectRequested) await carryOn();
      continue;
    }

    if (workflowInfo().continueAsNewSuggested && !flow && !refreshing && !disconnectRequested) await carryOn();
  }
  await condition(allHandlersFinished);
  return { status };

  async function completeFlow(current: AuthFlow): Promise<void> {
    const received = current.callback!;
    const requestId = current.issued.requestId;
    const connected = status === 'active' || status === 'needs_reauth';
    if (received.error || !received.code) {
      const details = {
        error: received.error ?? 'invalid_request',
        error_description: received.error ? received.errorDescription : 'the callback carried neither code nor error',
      };
      await quick.markRequestFailed(requestId, details);
      current.outcome = { connected: false, ...details };
    } else {
      try {
        const saved = await exchange.exchangeCodeAndSave({
          requestId,
          callback: { code: received.code, state: received.state, iss: received.iss },
        });
        clock = { tokenIssuedAt: saved.tokenIssuedAt, tokenExpiresAt: saved.tokenExpiresAt, refreshTokenExpiresAt: saved.refreshTokenExpiresAt };
        current.outcome = { connected: true, connectionId: input.connectionId, datasourceId: input.datasourceId };
        setStatus('active');
      } catch (err) {
        const details = providerError(err);
        await quick.markRequestFailed(requestId, details);
        current.outcome = { connected: false, ...details };
      }
    }
    // A failed first authorization ends the connection; a failed reauthorization keeps the old one.
    if (!current.outcome.connected && !connected) setStatus('failed');
    if (flow === current) flow = undefined;
  }

  /** Keeps each run's history small: a fresh run with the token clock (and nothing else) carried over. */
  async function carryOn(): Promise<never> {
    await condition(allHandlersFinished);
    return continueAsNew<typeof connectionWorkflow>({
      connectionId: input.connectionId,
      accountId: input.accountId,
      datasourceId: input.datasourceId,
      timing,
      saved: {
        ...clock,
        lastRefreshedAt,
        status: status === 'needs_reauth' ? 'needs_reauth' : 'active',
        recentRefreshes,
        refreshPausedUntil,
      },
      localActivities: true,
    });
  }
}

function providerError(err: unknown): ProviderErrorDetails {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as ProviderErrorDetails | undefined;
    if (details?.error) return details;
    return { error: cause.type ?? 'exchange_failed', error_description: cause.message };
  }
  return { error: 'exchange_failed', error_description: err instanceof Error ? err.message : String(err) };
}
