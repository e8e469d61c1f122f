/**
 * When the proxy tries a provider call again. Pure: the caller passes the clock and the dice.
 * - 429 (the provider did not process it): after its Retry-After (or a backoff), any method, while the
 *   total wait stays within the bound; past it the 429 is returned.
 * - 5xx and connection errors: with backoff, only for idempotent methods or when the caller asked.
 * - Never a body that cannot be sent again, never after a timeout (the caller's wait is bounded).
 * A 401 is not handled here: it refreshes the token once (see the proxy's forwarder).
 */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** 5xx statuses worth another attempt (501 and 505 will not change). */
const RETRYABLE_5XX = new Set([500, 502, 503, 504]);
const MAX_RATE_LIMIT_RETRIES = 3;

export interface RetryLimits {
  /** the most the proxy waits in all for Retry-After and backoff, per call */
  maxTotalWaitMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** retries of 5xx and connection errors for an idempotent method when the caller did not say */
  defaultIdempotentRetries: number;
}

export const DEFAULT_RETRY_LIMITS: RetryLimits = {
  maxTotalWaitMs: 10_000,
  backoffInitialMs: 100,
  backoffMaxMs: 2_000,
  defaultIdempotentRetries: 2,
};

/** What one attempt came to. `connect`: never reached the provider; `reset`: the connection broke mid-way. */
export type AttemptOutcome =
  { status: number; retryAfter?: string | undefined } | { error: 'connect' | 'reset' | 'timeout' };

export interface RetryInput {
  method: string;
  outcome: AttemptOutcome;
  /** retries already made for this call (of any kind) */
  retriesDone: number;
  /** what the caller asked for (`retries`), or undefined for the default */
  retriesAsked: number | undefined;
  replayable: boolean;
  waitedMs: number;
  nowMs: number;
  /** in [0, 1): spreads backoffs of simultaneous calls */
  random: number;
  limits?: RetryLimits;
}

/** Milliseconds to wait before the next attempt, or undefined for none. */
export function nextRetryDelay(input: RetryInput): number | undefined {
  const limits = input.limits ?? DEFAULT_RETRY_LIMITS;
  const { outcome } = input;
  if (!input.replayable || ('error' in outcome && outcome.error === 'timeout')) return undefined;
  const backoff = backoffMs(input.retriesDone, limits, input.random);
  const withinBudget = (delay: number) => (input.waitedMs + delay <= limits.maxTotalWaitMs ? delay : undefined);

  if ('status' in outcome && outcome.status === 429) {
    if (input.retriesDone >= MAX_RATE_LIMIT_RETRIES) return undefined;
    return withinBudget(parseRetryAfter(outcome.retryAfter, input.nowMs) ?? backoff);
  }
  const transient = 'error' in outcome || RETRYABLE_5XX.has(outcome.status);
  if (!transient || input.retriesDone >= allowedRetries(input.method, input.retriesAsked, limits)) return undefined;
  const told = 'status' in outcome ? parseRetryAfter(outcome.retryAfter, input.nowMs) : undefined;
  return withinBudget(told ?? backoff);
}

/** Retries of 5xx / connection errors: what the caller asked, else a few for idempotent methods only. */
export function allowedRetries(method: string, asked: number | undefined, limits = DEFAULT_RETRY_LIMITS): number {
  if (asked !== undefined) return asked;
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) ? limits.defaultIdempotentRetries : 0;
}

function backoffMs(retriesDone: number, limits: RetryLimits, random: number): number {
  const ceiling = Math.min(limits.backoffMaxMs, limits.backoffInitialMs * 2 ** retriesDone);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (!Number.isFinite(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - nowMs);
}
