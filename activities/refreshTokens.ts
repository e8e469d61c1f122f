import { ApplicationFailure } from '@temporalio/activity';
import { apiBaseUriOf, providerDataOf } from '../lib/providers/tokenResponseFields.js';
import type { StoredCredentials } from '../lib/store/documents.js';
import { readCredentials } from '../lib/store/readCredentials.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity } from './providerForActivity.js';
import { requestRefreshGrant } from './requestRefreshGrant.js';
import { tokenClockOf } from '../lib/store/tokenClock.js';
import type { RefreshTiming } from '../lib/config.js';
import { timingForProvider } from '../lib/providers/timingForProvider.js';
import type { TokenClock } from '../workflows/connectionMessages.js';
import { announceEvent, recordConnectionEvent, recordLifetimeFloored, writeEvent } from './recordConnectionEvent.js';
import type { ActivityStep } from './activityStep.js';
import { tokenExpiries } from '../lib/store/tokenExpiries.js';
import { setById } from '../lib/store/setById.js';
import { refreshes, refreshLag, refreshLagSeconds, type RefreshOutcome } from '../lib/metrics/refreshMetrics.js';

export type RefreshResult =
  | { status: 'missing' }
  | { status: 'active' | 'needs_reauth'; clock: TokenClock; lastRefreshedAt: string | null; timing: RefreshTiming };

/**
 * Step 6: one refresh-token grant; the new tokens are stored encrypted before this returns. A
 * response without a refresh token keeps the old one. 4xx (invalid_grant, invalid_client, ...) marks
 * the connection needs_reauth after exactly one call; 5xx and network errors are recorded
 * (connection.refresh_failed, with the next attempt's time) and thrown for Temporal to retry with
 * backoff. Each outcome's event is written before the status it describes and announced after it.
 * Returns only the new expiry times. `plannedAt` (epoch ms), given for a planned refresh, is the time
 * the workflow planned it for: how late its first attempt starts is measured (refresh lag).
 */
export async function refreshTokens(
  ctx: ActivityContext,
  input: { connectionId: string; plannedAt?: number },
  step: ActivityStep,
): Promise<RefreshResult> {
  const { connections } = ctx.store;
  const doc = await connections.findOne({ _id: input.connectionId });
  if (!doc || doc.status === 'deleted') return { status: 'missing' };
  if (input.plannedAt !== undefined && step.attempt === 1)
    refreshLag.observe({ provider: doc.provider }, refreshLagSeconds(input.plannedAt, Date.now()));
  const counted = (outcome: RefreshOutcome) => refreshes.inc({ provider: doc.provider, outcome });
  const current = readCredentials(ctx.keyRing, doc);
  const timing = timingForProvider(ctx.timing, ctx.catalog.get(doc.provider));
  const unchanged = (status: 'active' | 'needs_reauth'): RefreshResult => ({
    status,
    clock: tokenClockOf(doc),
    lastRefreshedAt: doc.lastRefreshedAt?.toISOString() ?? null,
    timing,
  });
  const needsReauth = async (error: string, description: string | null): Promise<RefreshResult> => {
    const event = await writeEvent(ctx, doc, 'connection.needs_reauth', [step.id], {
      error,
      error_description: description,
    });
    await withWriteRetries(() =>
      setById(connections, doc._id, { $set: { status: 'needs_reauth', updatedAt: new Date() } }),
    );
    await announceEvent(ctx, event);
    counted('needs_reauth');
    return unchanged('needs_reauth');
  };
  /** A failure that may pass: said as an event with the time Temporal tries again, then thrown for it to. */
  const transientFailure = async (error: string, description: string): Promise<never> => {
    const delaySeconds = Math.min(timing.retryInitialSeconds * 2 ** (step.attempt - 1), timing.retryMaxSeconds);
    await recordConnectionEvent(ctx, doc, 'connection.refresh_failed', [step.id, String(step.attempt)], {
      error,
      error_description: description,
      attempt: step.attempt,
      next_attempt_at: new Date(Date.now() + delaySeconds * 1000).toISOString(),
    });
    counted('retried');
    throw ApplicationFailure.retryable(description, error);
  };
  if (!current.refresh_token) return needsReauth('no_refresh_token', 'the provider issued no refresh token');

  const resolved = await providerForActivity(ctx, doc.provider, doc.connectionConfig ?? {}, doc.oauthApp);
  const { entry, connectionConfig } = resolved;
  if (
    entry.refreshNotBeforeSeconds &&
    doc.tokenExpiresAt &&
    doc.tokenExpiresAt.getTime() - Date.now() > entry.refreshNotBeforeSeconds * 1000
  ) {
    counted('not_due');
    return unchanged('active'); // this provider refuses to refresh a token that is still good for longer
  }
  const grant = await requestRefreshGrant(ctx, resolved, current.refresh_token);
  if (grant.kind === 'unavailable') return transientFailure(grant.error, grant.description);
  if (grant.kind === 'refused') return needsReauth(grant.error, grant.description);
  const { tokens, issuedAt: startedAt } = grant;

  await pauseForTest(ctx, 'refresh:after-response', doc._id);
  const rotated = typeof tokens.refresh_token === 'string' && tokens.refresh_token.length > 0;
  const credentials: StoredCredentials = {
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    refresh_token: rotated ? tokens.refresh_token : current.refresh_token,
    ...(tokens.id_token ? { id_token: tokens.id_token } : current.id_token ? { id_token: current.id_token } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : current.scope ? { scope: current.scope } : {}),
  };
  const { tokenExpiresAt, refreshTokenExpiresAt } = tokenExpiries(tokens, entry, startedAt, doc.refreshTokenExpiresAt);
  // A refresh response may carry the provider's fields again (e.g. a new instance_url): kept over the old ones.
  const providerData = { ...doc.providerData, ...providerDataOf({ ...entry, callbackParams: [] }, tokens, {}) };
  const now = new Date();
  const refreshed = await writeEvent(ctx, doc, 'connection.refreshed', [step.id], {
    token_expires_at: tokenExpiresAt?.toISOString() ?? null,
    refresh_token_expires_at: refreshTokenExpiresAt?.toISOString() ?? null,
  });
  // The provider has already rotated the refresh token: this write must not be given up on lightly
  // (a retry of the whole activity would present the consumed token and end in needs_reauth).
  await withWriteRetries(() =>
    setById(connections, doc._id, {
      $set: {
        status: 'active',
        credentials: ctx.keyRing.encryptJson(credentials, doc._id),
        tokenExpiresAt,
        refreshTokenExpiresAt,
        providerData,
        apiBaseUri: apiBaseUriOf(entry, connectionConfig, providerData),
        lastRefreshedAt: now,
        updatedAt: now,
      },
    }),
  );
  await announceEvent(ctx, refreshed);
  if (grant.lifetimeProblem) await recordLifetimeFloored(ctx, doc, grant.lifetimeProblem);
  counted('refreshed');
  await pauseForTest(ctx, 'refresh:after-write', doc._id);
  return {
    status: 'active',
    clock: {
      tokenIssuedAt: startedAt.toISOString(),
      tokenExpiresAt: tokenExpiresAt?.toISOString() ?? null,
      refreshTokenExpiresAt: refreshTokenExpiresAt?.toISOString() ?? null,
    },
    lastRefreshedAt: now.toISOString(),
    timing,
  };
}

/** A few quick retries of a write that must land (e.g. a database busy for a moment). */
async function withWriteRetries<T>(write: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
}
