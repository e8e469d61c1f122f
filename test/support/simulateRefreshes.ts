import type { RefreshTiming } from '../../lib/config.js';
import { planRefresh } from '../../workflows/planRefresh.js';
import { throttleRefreshes } from '../../workflows/refreshThrottle.js';

/**
 * The planned refreshes a connection makes in `horizonMs` when every token the provider issues lives
 * `lifetimeMs` (`jitter` fixed in [0, 1]) and each refresh takes `refreshMs`: the plan and the throttle
 * as the workflow applies them, for tests to compare what a provider saw with what the plan predicts.
 */
export function simulateRefreshes(
  lifetimeMs: number,
  timing: RefreshTiming,
  horizonMs: number,
  jitter: number,
  refreshMs = 0,
): number[] {
  const refreshes: number[] = [];
  let recent: number[] = [];
  let issuedAt = 0;
  for (;;) {
    const clock = {
      tokenIssuedAt: new Date(issuedAt).toISOString(),
      tokenExpiresAt: new Date(issuedAt + lifetimeMs).toISOString(),
      refreshTokenExpiresAt: null,
    };
    let at = planRefresh(clock, timing, () => jitter, recent.at(-1))!;
    const throttled = throttleRefreshes(recent, at, timing.throttle);
    recent = throttled.recent;
    if (throttled.pausedUntilMs !== undefined) at = throttled.pausedUntilMs;
    if (at > horizonMs) return refreshes;
    refreshes.push(at);
    recent = [...recent, at];
    issuedAt = at + refreshMs;
  }
}
