import type { RefreshTiming } from '../lib/config.js';
import type { TokenClock } from './connectionMessages.js';

/**
 * How long before a token lapses it is due for a refresh: the configured margin, or a quarter of the
 * token's lifetime when that is shorter (a 2-minute token is refreshed 90 s after it was issued, not
 * at once because the 5-minute margin is longer than the token lives). An unknown lifetime gets the margin.
 */
export function refreshLeadMs(lifetimeMs: number | undefined, timing: Pick<RefreshTiming, 'marginSeconds'>): number {
  const marginMs = timing.marginSeconds * 1000;
  if (lifetimeMs === undefined) return marginMs;
  return Math.min(marginMs, Math.max(0, lifetimeMs) / 4);
}

/** Whether a token is due for a refresh at `nowMs` (the API's on-demand rule and the plan agree). */
export function isRefreshDue(
  token: { issuedAtMs: number | undefined; expiresAtMs: number },
  timing: Pick<RefreshTiming, 'marginSeconds'>,
  nowMs: number,
): boolean {
  const lifetimeMs = token.issuedAtMs === undefined ? undefined : token.expiresAtMs - token.issuedAtMs;
  return token.expiresAtMs - nowMs < refreshLeadMs(lifetimeMs, timing);
}

/**
 * When to refresh next (epoch ms), or undefined when nothing lapses: the lead before the access token
 * expires, and before a refresh token with a known lifetime lapses, with jitter of at most half the
 * lead (so never after the expiry). Never sooner than `minIntervalSeconds` after the tokens were issued
 * or after `lastAttemptMs`, whatever the provider says: a short or nonsensical lifetime cannot become
 * a storm. Pure: `random` is the workflow's deterministic Math.random.
 */
export function planRefresh(
  clock: TokenClock,
  timing: RefreshTiming,
  random: () => number,
  lastAttemptMs?: number,
): number | undefined {
  const issuedAtMs = clock.tokenIssuedAt ? Date.parse(clock.tokenIssuedAt) : undefined;
  const jitter = random() * 2 - 1;
  const candidates = [clock.tokenExpiresAt, clock.refreshTokenExpiresAt]
    .filter((at): at is string => at !== null)
    .map((at) => {
      const expiresAtMs = Date.parse(at);
      const leadMs = refreshLeadMs(issuedAtMs === undefined ? undefined : expiresAtMs - issuedAtMs, timing);
      return expiresAtMs - leadMs + jitter * Math.min(timing.jitterSeconds * 1000, leadMs / 2);
    });
  if (candidates.length === 0) return undefined;
  const since = Math.max(issuedAtMs ?? -Infinity, lastAttemptMs ?? -Infinity);
  return Math.max(Math.min(...candidates), since + timing.minIntervalSeconds * 1000);
}
