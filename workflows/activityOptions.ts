import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { ConnectionActivities } from '../activities/createActivities.js';
import type { ProviderErrorDetails } from '../activities/exchangeCodeAndSave.js';
import type { RefreshTiming } from '../lib/config.js';

/**
 * The connection workflow's activities, as local activities: they run inside the workflow task on the
 * worker that holds the workflow (no activity task to schedule and dispatch). If that worker dies
 * mid-activity, another replays and runs it again; the activities are written for that. Retries past
 * a minute wait on a durable timer.
 */
export function connectionActivities(timing: RefreshTiming) {
  const attemptSeconds = timing.activityTimeoutSeconds;
  return {
    quick: proxyLocalActivities<ConnectionActivities>({
      startToCloseTimeout: `${Math.min(30, attemptSeconds)} seconds`,
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
    }),
    /** Bounded, so `POST /api/oauth2` answers (502) instead of hanging on a dead provider. */
    authorize: proxyLocalActivities<ConnectionActivities>({
      startToCloseTimeout: `${Math.min(15, attemptSeconds)} seconds`,
      scheduleToCloseTimeout: `${Math.max(20, attemptSeconds * 2 + 5)} seconds`,
      retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds' },
    }),
    /** Retried for up to 10 minutes only while the code never reached the provider: a code is sent at most once. */
    exchange: proxyLocalActivities<ConnectionActivities>({
      startToCloseTimeout: `${attemptSeconds} seconds`,
      scheduleToCloseTimeout: '10 minutes',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '60 seconds' },
    }),
    /** Retried forever with backoff capped at retryMaxSeconds: a broken provider never loses the connection. */
    refresh: proxyLocalActivities<ConnectionActivities>({
      startToCloseTimeout: `${attemptSeconds} seconds`,
      retry: {
        initialInterval: timing.retryInitialSeconds * 1000,
        backoffCoefficient: 2,
        maximumInterval: timing.retryMaxSeconds * 1000,
      },
    }),
  };
}

export type ConnectionActivityProxies = ReturnType<typeof connectionActivities>;

/** The provider's error as the API shows it, from a failed code exchange. */
export function providerError(err: unknown): ProviderErrorDetails {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as ProviderErrorDetails | undefined;
    if (details?.error) return details;
    return { error: cause.type ?? 'exchange_failed', error_description: cause.message };
  }
  return { error: 'exchange_failed', error_description: err instanceof Error ? err.message : String(err) };
}

/** An update refused for a reason the API names (409 with that error code). */
export function refusal(type: 'needs_reauth' | 'conflict', message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
