import { ApplicationFailure } from '@temporalio/activity';
import * as oauth from 'oauth4webapi';
import type { RefreshTiming } from '../lib/config.js';
import { timingForProvider } from '../lib/providers/timingForProvider.js';
import { authorizedConnection } from '../lib/store/authorizedConnection.js';
import type { ConnectionDoc, OAuthRequestDoc } from '../lib/store/documents.js';
import type { TokenClock } from '../workflows/connectionMessages.js';
import { providerTimeoutMs } from '../lib/providers/resolveAuthorizationServer.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity, type ResolvedProvider } from './providerForActivity.js';
import { unwrapTokenResponse } from '../lib/providers/tokenResponseFields.js';
import { checkTokenLifetime, type TokenLifetimeProblem } from './checkTokenLifetime.js';
import { announceEvent, recordLifetimeFloored, writeEvent } from './recordConnectionEvent.js';
import { failRequest } from './recordRequestOutcome.js';
import { eventId } from '../lib/events/eventId.js';
import { tokenClockOf } from '../lib/store/tokenClock.js';
import { setById } from '../lib/store/setById.js';
import { findConnection } from '../lib/store/connections.js';
import { moveRequestStatus } from '../lib/store/moveRequestStatus.js';
import { pointIntegrationConnection } from '../lib/store/integrations.js';
import { countFlowEnded } from '../lib/metrics/flowMetrics.js';

export interface CallbackParameters {
  code: string;
  state: string;
  iss: string | null;
  /** the redirect's other query parameters; the provider's declared callback_params are kept */
  params?: Record<string, string>;
}

/** What the workflow learns from a token response: when to act next (and the current timing), never the tokens. */
export interface SavedConnection {
  connectionId: string;
  clock: TokenClock;
  timing: RefreshTiming;
}

export interface ProviderErrorDetails {
  error: string;
  error_description: string | null;
}

const INTERRUPTED: ProviderErrorDetails = {
  error: 'exchange_interrupted',
  error_description:
    'The code exchange was interrupted after the code was sent to the provider; please authorize again.',
};

/** Errors raised before a connection to the provider existed: the request certainly never reached it. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
function neverSent(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && NEVER_SENT_CODES.has(code);
}

const finalFailure = (details: ProviderErrorDetails): ApplicationFailure =>
  ApplicationFailure.nonRetryable(
    `${details.error}${details.error_description ? `: ${details.error_description}` : ''}`,
    'provider_error',
    details,
  );

const summary = (
  ctx: ActivityContext,
  doc: Pick<ConnectionDoc, '_id' | 'provider'> & Parameters<typeof tokenClockOf>[0],
): SavedConnection => ({
  connectionId: doc._id,
  clock: tokenClockOf(doc),
  timing: timingForProvider(ctx.timing, ctx.catalog.get(doc.provider)),
});

/**
 * Step 4: exchanges the authorization code (with the PKCE verifier) and upserts the connection with
 * encrypted tokens before returning. Safe to retry: a retry that finds this flow's tokens saved does
 * not exchange again, and a code whose exchange was cut off mid-flight is never sent a second time.
 * Only a request that never reached the provider (connection refused, no such host) is retried by
 * Temporal; a timeout, a broken connection or a 5xx ends the flow (exchange_interrupted or the 5xx),
 * as do 4xx answers (invalid_grant, ...).
 */
export async function exchangeCodeAndSave(
  ctx: ActivityContext,
  input: { authorizationRequestId: string; callback: CallbackParameters },
): Promise<SavedConnection> {
  const { oauthRequests, connections } = ctx.store;
  const request = await oauthRequests.findOne({ _id: input.authorizationRequestId });
  if (!request) throw ApplicationFailure.nonRetryable('authorization request not found', 'request_not_found');

  // Tokens are saved only after the request was claimed ('exchanging'): a first attempt (the request
  // still 'pending') has nothing saved to find; a retry looks for this request's saved connection.
  const firstAttempt = request.status === 'pending' || request.status === 'callback_received';
  const saved = firstAttempt ? null : await connections.findOne({ _id: request.connectionId });
  if (saved && saved.authorizationRequestId === request._id) {
    await pointIntegrationConnection(ctx.store, saved);
    await announceAuthorized(ctx, request);
    await markCompleted(ctx, request._id);
    return summary(ctx, saved);
  }
  if (request.status === 'failed' && request.error) throw finalFailure(request.error);
  await pauseForTest(ctx, 'exchange:before-send', request.connectionId);

  // Claim the code: from here on it may have reached the provider, so it is never sent twice. A plain
  // write after the read above is safe: lib/store/README.md (rule 3).
  if (firstAttempt) {
    await setById(oauthRequests, request._id, { $set: { status: 'exchanging', updatedAt: new Date() } });
  } else {
    await failRequest(ctx, request, INTERRUPTED);
    throw finalFailure(INTERRUPTED);
  }

  const resolved = await providerForActivity(ctx, request.provider, request.connectionConfig ?? {}, request.oauthApp);
  const { entry } = resolved;
  const { tokens, lifetimeProblem } = await requestTokens(ctx, request, resolved, input.callback);

  await pauseForTest(ctx, 'exchange:after-response', request.connectionId);
  const { fields: doc, firstFields } = authorizedConnection(request, tokens, entry, ctx.keyRing, new Date(), {
    callbackParams: input.callback.params ?? {},
    connectionConfig: resolved.connectionConfig,
  });
  const existing = await findConnection(ctx.store, request.connectionId);
  const authorized = await writeEvent(
    ctx,
    { _id: request.connectionId, ...doc },
    existing && existing.status !== 'deleted' ? 'connection.reauthorized' : 'connection.created',
    [request._id],
    { authorization_request_id: request._id, scopes: doc.scopes },
  );
  await setById(connections, request.connectionId, { $set: doc, $setOnInsert: firstFields }, { upsert: true });
  await pointIntegrationConnection(ctx.store, { _id: request.connectionId, ...doc });
  await announceEvent(ctx, authorized);
  if (lifetimeProblem) await recordLifetimeFloored(ctx, { _id: request.connectionId, ...doc }, lifetimeProblem);
  await pauseForTest(ctx, 'save:before-complete', request.connectionId);
  await markCompleted(ctx, request._id);
  countFlowEnded(request.provider, 'connected');
  return summary(ctx, { _id: request.connectionId, lastRefreshedAt: null, ...doc });
}

async function requestTokens(
  ctx: ActivityContext,
  request: OAuthRequestDoc,
  { entry, as, client, clientAuth, tokenRequestOptions }: ResolvedProvider,
  callback: CallbackParameters,
): Promise<{ tokens: oauth.TokenEndpointResponse; lifetimeProblem: TokenLifetimeProblem | null }> {
  const release = () => moveRequestStatus(ctx.store, request._id, ['exchanging'], { status: 'callback_received' });
  const fail = async (details: ProviderErrorDetails): Promise<never> => {
    await failRequest(ctx, request, details);
    throw finalFailure(details);
  };

  const params = new URLSearchParams({ code: callback.code, state: callback.state });
  if (callback.iss) params.set('iss', callback.iss);
  // A code the client obtained itself comes without the redirect's iss: there is no redirect to check.
  const clientGrant = request.clientGrant;
  const responseAs = clientGrant ? { ...as, authorization_response_iss_parameter_supported: false } : as;
  let validated: URLSearchParams;
  try {
    validated = oauth.validateAuthResponse(responseAs, client, params, oauth.skipStateCheck);
  } catch (err) {
    return fail({ error: 'invalid_authorization_response', error_description: (err as Error).message });
  }
  // A provider that refuses PKCE was sent no challenge, so it must get no verifier either.
  const pkce = clientGrant ? clientGrant.pkce : entry.pkce !== 'refused';
  const verifier = pkce ? ctx.keyRing.decrypt(request.codeVerifier, request._id).toString('utf8') : oauth.nopkce;

  let response: Response;
  try {
    response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      validated,
      clientGrant?.redirectUri ?? ctx.redirectUri,
      verifier,
      tokenRequestOptions(providerTimeoutMs(ctx.timing.activityTimeoutSeconds)),
    );
  } catch (err) {
    // Only a request that never left (no connection made) may be sent again; after a timeout or a
    // broken connection the provider may have taken the code, and a code is sent at most once.
    if (neverSent(err)) {
      await release();
      throw err;
    }
    return fail(INTERRUPTED);
  }
  if (response.status >= 500) {
    // The provider got the code and failed: asking again could redeem a code it already used.
    return fail({
      error: 'provider_unavailable',
      error_description: `the token endpoint answered ${response.status}; please authorize again`,
    });
  }
  const checked = await checkTokenLifetime(
    await unwrapTokenResponse(response, entry.tokenResponsePath),
    ctx.timing.minIntervalSeconds,
  );
  try {
    return {
      tokens: await oauth.processAuthorizationCodeResponse(as, client, checked.response),
      lifetimeProblem: checked.problem,
    };
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      return fail({ error: err.error, error_description: err.error_description ?? null });
    }
    return fail({ error: 'invalid_token_response', error_description: (err as Error).message });
  }
}

/** A retry that found this request's connection saved: its event was written before the save; announce it (again). */
async function announceAuthorized(ctx: ActivityContext, request: OAuthRequestDoc): Promise<void> {
  for (const type of ['connection.created', 'connection.reauthorized'] as const) {
    const event = await ctx.store.events.findOne({ _id: eventId(type, request.connectionId, request._id) });
    if (event) return announceEvent(ctx, event);
  }
}

async function markCompleted(ctx: ActivityContext, authorizationRequestId: string): Promise<void> {
  await setById(ctx.store.oauthRequests, authorizationRequestId, {
    $set: { status: 'completed', error: null, updatedAt: new Date() },
  });
}
