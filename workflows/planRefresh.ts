import type { RefreshTiming } from '../lib/config.js';
import type { TokenClock } from './connectionMessages.js';

/**
 * When to refresh next (epoch ms), or undefined when nothing lapses: `margin` (± jitter) before the
 * access token expires, and before a refresh token with a known lifetime lapses. Pure: `random` is
 * the workflow's deterministic Math.random.
 */
export function planRefresh(clock: TokenClock, timing: RefreshTiming, random: () => number): number | undefined {
  // Never more jitter than half the margin, so a refresh is never planned after the expiry.
  const jitterMs = (random() * 2 - 1) * Math.min(timing.jitterSeconds, timing.marginSeconds / 2) * 1000;
  const marginMs = timing.marginSeconds * 1000;
  const candidates: number[] = [];
  if (clock.tokenExpiresAt) candidates.push(Date.parse(clock.tokenExpiresAt) - marginMs + jitterMs);
  if (clock.refreshTokenExpiresAt) candidates.push(Date.parse(clock.refreshTokenExpiresAt) - marginMs);
  return candidates.length ? Math.min(...candidates) : undefined;
}
