import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { connectionActivities, providerError, refusal } from './activityOptions.js';
import {
  type AuthorizationRequestOptions,
  type IssuedAuthorization,
  type CallbackDelivery,
  type ConnectionWorkflowInput,
  type FlowOutcome,
  type WorkflowStatus,
  deliverCallbackUpdate,
  disconnectUpdate,
  importOutcomeUpdate,
  issueAuthorizationUpdate,
  reauthorizeUpdate,
  refreshUpdate,
  statusQuery,
} from './connectionMessages.js';
import { initialState, setStatus, showStatus, snapshot } from './connectionState.js';
import { createRefresher } from './refresher.js';
import { validityPassed } from './requestValidity.js';
import { runIsFull } from './runLength.js';

/** One authorization request waiting for the provider's redirect. */
interface PendingRequest {
  authorizationRequestId: string;
  issued: IssuedAuthorization;
  expiresAtMs: number;
  callback?: CallbackDelivery;
}

/**
 * One connection, one workflow (`connection/<connectionId>`), for the connection's whole life:
 * `authorize` (issue the auth_uri, wait for the callback under the validity timer, exchange the code)
 * or `activateImport` (prove and save tokens obtained elsewhere), then `keepFresh` (timer, refresh; continue as new every few refreshes) until `disconnect`. Tokens never enter this code:
 * activities store them and return only their times.
 */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<{ status: WorkflowStatus }> {
  const { connectionId } = input;
  const state = initialState(input);
  const activities = connectionActivities(state.timing);
  const refresher = createRefresher(state, activities, input.saved);

  let request: PendingRequest | undefined;
  let disconnecting = false;
  let revoked: boolean | undefined;
  let importOutcome: FlowOutcome | undefined;
  const outcomes = new Map<PendingRequest, FlowOutcome>();

  // ---- handlers: what the API may ask at any time
  setHandler(statusQuery, () => snapshot(state));
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
  setHandler(refreshUpdate, refresher.refreshCoalesced, {
    validator: () => {
      assertNotDeleting();
      if (state.status === 'needs_reauth') {
        throw refusal(
          'needs_reauth',
          'the provider refused the refresh token; authorize the connection again (POST .../reauthorize)',
        );
      }
      if (state.status !== 'active') throw refusal('conflict', `the connection is ${state.status}`);
    },
  });
  setHandler(reauthorizeUpdate, reauthorize, {
    validator: (_options: AuthorizationRequestOptions) => {
      assertNotDeleting();
      if (state.status !== 'active' && state.status !== 'needs_reauth')
        throw refusal('conflict', `the connection is ${state.status}`);
    },
  });
  setHandler(importOutcomeUpdate, async (): Promise<FlowOutcome> => {
    // A later run of an imported connection (continued as new) was imported already.
    if (!input.imported) return { connected: true, connectionId, provider: input.provider };
    await condition(() => importOutcome !== undefined);
    return importOutcome!;
  });
  setHandler(disconnectUpdate, async () => {
    disconnecting = true;
    refresher.cancel();
    await condition(() => revoked !== undefined);
    return { revoked: revoked! };
  });

  // ---- the connection's life
  if (input.saved) showStatus(state);
  else if (input.imported) {
    importOutcome = await activateImport(input.imported.importId);
    if (!importOutcome.connected) return finish('failed');
  } else {
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
    if (outcome.connected) setStatus(state, 'active');
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
        callback: { code: received.code, state: received.state, iss: received.iss, params: received.params ?? {} },
      });
      state.clock = result.clock;
      state.timing = result.timing;
      return { connected: true, connectionId, provider: input.provider };
    } catch (err) {
      return fail(providerError(err));
    }
  }

  // ---- activateImport: the imported tokens proven (one refresh) and saved, or refused
  async function activateImport(importId: string): Promise<FlowOutcome> {
    try {
      const result = await activities.authorize.activateImport({ connectionId, importId });
      if (!result.saved) return { connected: false, ...result.error };
      state.clock = result.saved.clock;
      state.timing = result.saved.timing;
      setStatus(state, 'active');
      return { connected: true, connectionId, provider: input.provider };
    } catch (err) {
      return { connected: false, ...providerError(err) };
    }
  }

  /** A new auth_uri for this connection; the connection keeps its tokens until the new ones arrive. */
  async function reauthorize(options: AuthorizationRequestOptions): Promise<IssuedAuthorization> {
    const current = await issueRequest(options);
    void awaitCallback(current);
    return current.issued;
  }

  // ---- keepFresh: timer, refresh, and every few refreshes carry on as a new run
  async function keepFresh(): Promise<{ status: WorkflowStatus }> {
    for (;;) {
      const planned = { clock: state.clock, status: state.status };
      const dueAt = state.status === 'active' ? refresher.nextRefreshAt() : undefined;
      const changed = () => disconnecting || state.clock !== planned.clock || state.status !== planned.status;
      const woken =
        dueAt === undefined
          ? await condition(changed).then(() => true)
          : await condition(changed, Math.max(0, dueAt - Date.now()));
      if (disconnecting) return disconnect();
      if (state.status === 'deleted') return finish('deleted'); // the document vanished (deleted elsewhere)
      if (woken) {
        if (!request && !refresher.busy() && runFull(false)) await carryOn();
        continue;
      }
      if ((await refresher.refreshAsPlanned(dueAt!)) !== 'refreshed') continue;
      if (currentStatus() === 'deleted') return finish('deleted');
      if (!request && !disconnecting && runFull(true)) await carryOn();
    }
  }

  /** Whether this run has held its share (workflows/runLength.ts). */
  function runFull(afterPlannedRefresh: boolean): boolean {
    const { continueAsNewSuggested } = workflowInfo();
    return runIsFull({ refreshes: refresher.made(), afterPlannedRefresh, continueAsNewSuggested }, state.timing);
  }

  /**
   * Keeps each run's history small: a fresh run with the connection's state (and nothing else) carried
   * over, once every handler has finished. A request or a disconnect arriving meanwhile stays in this run.
   */
  async function carryOn(): Promise<void> {
    await condition(() => allHandlersFinished() || disconnecting);
    if (disconnecting || request) return;
    await continueAsNew<typeof connectionWorkflow>({
      connectionId,
      accountId: input.accountId,
      provider: input.provider,
      timing: state.timing,
      saved: {
        ...state.clock,
        status: state.status === 'needs_reauth' ? 'needs_reauth' : 'active',
        lastRefreshedAt: state.lastRefreshedAt,
        ...refresher.carried(),
      },
    });
  }

  // ---- disconnect: revoke, delete, end
  async function disconnect(): Promise<{ status: WorkflowStatus }> {
    await refresher.settled();
    await expireWaitingRequest();
    revoked = (await activities.quick.disconnectConnection({ connectionId })).revoked;
    return finish('deleted');
  }

  async function finish(final: WorkflowStatus): Promise<{ status: WorkflowStatus }> {
    setStatus(state, final);
    await condition(allHandlersFinished);
    return { status: state.status };
  }

  // ---- small helpers
  /** (read through a function: handlers and activities change it between awaits) */
  function currentStatus(): WorkflowStatus {
    return state.status;
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
    if (validityPassed(request.expiresAtMs, Date.now())) throw new Error('this authorization request has expired');
    if (disconnecting) throw new Error('the connection is being deleted');
  }

  function assertNotDeleting(): void {
    if (disconnecting || state.status === 'deleted') throw refusal('conflict', 'the connection is being deleted');
  }
}
