import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RefreshTiming } from '../../lib/config.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import { isRefreshDue, planRefresh } from '../../workflows/planRefresh.js';
import { throttleRefreshes } from '../../workflows/refreshThrottle.js';
import { simulateRefreshes } from '../support/simulateRefreshes.js';

const timing: RefreshTiming = {
  marginSeconds: 300,
  jitterSeconds: 30,
  retryInitialSeconds: 10,
  retryMaxSeconds: 3600,
  coalesceSeconds: 10,
  activityTimeoutSeconds: 60,
  minIntervalSeconds: 30,
  throttle: { limit: 10, windowSeconds: 600, cooldownSeconds: 600 },
};
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const clockOf = (issuedAtMs: number, lifetimeMs: number) => ({
  tokenIssuedAt: iso(issuedAtMs),
  tokenExpiresAt: iso(issuedAtMs + lifetimeMs),
  refreshTokenExpiresAt: null,
});

describe('planRefresh', () => {
  it('plans the margin before a long-lived access token expires, within the jitter', () => {
    const clock = {
      tokenIssuedAt: '2026-01-01T00:00:00Z',
      tokenExpiresAt: '2026-01-01T01:00:00Z',
      refreshTokenExpiresAt: null,
    };
    expect(planRefresh(clock, timing, () => 0.5)).toBe(at('2026-01-01T00:55:00Z'));
    expect(planRefresh(clock, timing, () => 0)).toBe(at('2026-01-01T00:54:30Z'));
    expect(planRefresh(clock, timing, () => 1)).toBe(at('2026-01-01T00:55:30Z'));
  });

  it('refreshes a token shorter than four margins when three quarters of its life have passed', () => {
    // 2-minute tokens under the 5-minute default margin: every 90 s (± 15 s of jitter), not at once.
    const clock = clockOf(at('2026-01-01T00:00:00Z'), 120_000);
    expect(planRefresh(clock, timing, () => 0.5)).toBe(at('2026-01-01T00:01:30Z'));
    expect(planRefresh(clock, timing, () => 0)).toBe(at('2026-01-01T00:01:15Z'));
    expect(planRefresh(clock, timing, () => 1)).toBe(at('2026-01-01T00:01:45Z'));
  });

  it('waits the minimum interval after a token that lives shorter than it, or after the last attempt', () => {
    const issued = at('2026-01-01T00:00:00Z');
    expect(planRefresh(clockOf(issued, 10_000), timing, () => 0.5)).toBe(issued + 30_000);
    expect(planRefresh(clockOf(issued, 0), timing, () => 0.5)).toBe(issued + 30_000);
    expect(planRefresh(clockOf(issued, 3_600_000), timing, () => 0.5, issued + 3_400_000)).toBe(issued + 3_430_000);
  });

  it('keeps a refresh token with a known lifetime alive when the access token never expires', () => {
    const clock = {
      tokenIssuedAt: '2026-01-01T00:00:00Z',
      tokenExpiresAt: null,
      refreshTokenExpiresAt: '2026-03-01T00:00:00Z',
    };
    expect(planRefresh(clock, timing, () => 0.5)).toBe(at('2026-02-28T23:55:00Z'));
  });

  it('takes whichever lapses first, and plans nothing when nothing lapses', () => {
    const both = {
      tokenIssuedAt: '2026-01-01T00:00:00Z',
      tokenExpiresAt: '2026-01-01T01:00:00Z',
      refreshTokenExpiresAt: '2026-01-01T00:20:00Z',
    };
    expect(planRefresh(both, timing, () => 0.5)).toBe(at('2026-01-01T00:15:00Z'));
    const never = { tokenIssuedAt: '2026-01-01T00:00:00Z', tokenExpiresAt: null, refreshTokenExpiresAt: null };
    expect(planRefresh(never, timing, Math.random)).toBeUndefined();
  });

  const timings = fc.record({
    marginSeconds: fc.integer({ min: 0, max: 86_400 }),
    jitterSeconds: fc.integer({ min: 0, max: 3_600 }),
    minIntervalSeconds: fc.integer({ min: 1, max: 3_600 }),
  });
  const lifetimesMs = fc.integer({ min: 1_000, max: 90 * 86_400_000 });
  const clocks = fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') });

  it('never plans sooner than the minimum interval after the last refresh, nor (when the lifetime allows) after the expiry', () => {
    fc.assert(
      fc.property(
        timings,
        lifetimesMs,
        clocks,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 86_400_000 })),
        (t, lifetimeMs, issuedAt, r, attemptAfter) => {
          const lastAttempt = attemptAfter === null ? undefined : issuedAt + attemptAfter;
          const next = planRefresh(clockOf(issuedAt, lifetimeMs), { ...timing, ...t }, () => r, lastAttempt)!;
          const since = Math.max(issuedAt, lastAttempt ?? issuedAt);
          expect(next).toBeGreaterThanOrEqual(since + t.minIntervalSeconds * 1000);
          if (since + t.minIntervalSeconds * 1000 <= issuedAt + lifetimeMs)
            expect(next).toBeLessThanOrEqual(issuedAt + lifetimeMs);
          if (
            lifetimeMs >= 4 * t.marginSeconds * 1000 &&
            t.minIntervalSeconds * 1000 <= lifetimeMs - 1.5 * t.marginSeconds * 1000 &&
            lastAttempt === undefined
          ) {
            expect(Math.abs(next - (issuedAt + lifetimeMs - t.marginSeconds * 1000))).toBeLessThanOrEqual(
              Math.min(t.jitterSeconds, t.marginSeconds / 2) * 1000 + 1,
            );
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('bounds the refreshes per lifetime, whatever the lifetime and settings', () => {
    fc.assert(
      fc.property(timings, lifetimesMs, fc.double({ min: 0, max: 1, noNaN: true }), (t, lifetimeMs, r) => {
        const horizonMs = 20 * Math.max(lifetimeMs, t.minIntervalSeconds * 1000);
        const unthrottled = { ...timing, ...t, throttle: { ...timing.throttle, limit: Number.MAX_SAFE_INTEGER } };
        const count = simulateRefreshes(lifetimeMs, unthrottled, horizonMs, r).length;
        // Each refresh comes at least 5/8 of a lifetime (lead ≤ a quarter, jitter ≤ half the lead) and the minimum interval after the last.
        const spacingMs = Math.max(t.minIntervalSeconds * 1000, (5 / 8) * lifetimeMs);
        expect(count).toBeLessThanOrEqual(Math.floor(horizonMs / spacingMs) + 1);
        expect(count).toBeGreaterThanOrEqual(
          Math.floor(horizonMs / Math.max(t.minIntervalSeconds * 1000, lifetimeMs)) - 1,
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe('isRefreshDue', () => {
  it('agrees with the plan: a token is due inside its lead, not before', () => {
    const issued = at('2026-01-01T00:00:00Z');
    const token = { issuedAtMs: issued, expiresAtMs: issued + 120_000 };
    expect(isRefreshDue(token, timing, issued + 89_000)).toBe(false);
    expect(isRefreshDue(token, timing, issued + 91_000)).toBe(true);
    expect(isRefreshDue({ issuedAtMs: issued, expiresAtMs: issued + 3_600_000 }, timing, issued + 3_200_000)).toBe(
      false,
    );
    expect(isRefreshDue({ issuedAtMs: issued, expiresAtMs: issued + 3_600_000 }, timing, issued + 3_301_000)).toBe(
      true,
    );
  });
});

describe('throttleRefreshes', () => {
  const throttle = { limit: 3, windowSeconds: 60, cooldownSeconds: 120 };
  it('lets refreshes through below the limit and forgets the ones older than the window', () => {
    expect(throttleRefreshes([0, 10_000], 20_000, throttle)).toEqual({ recent: [0, 10_000] });
    expect(throttleRefreshes([0, 10_000, 20_000], 70_000, throttle)).toEqual({ recent: [20_000] });
  });
  it('pauses for the cool-down once the limit is reached within the window', () => {
    expect(throttleRefreshes([0, 10_000, 20_000], 30_000, throttle)).toEqual({ recent: [], pausedUntilMs: 150_000 });
  });
  it('holds a connection refreshed at the minimum interval to the limit per window plus cool-down', () => {
    const fast = {
      ...timing,
      minIntervalSeconds: 1,
      throttle: { limit: 10, windowSeconds: 600, cooldownSeconds: 600 },
    };
    const refreshes = simulateRefreshes(0, fast, 3_600_000, 0.5);
    // 3,600 at the minimum interval alone; the throttle allows 10 a window, then a 10-minute pause.
    expect(refreshes.length).toBeLessThanOrEqual(10 * (3_600 / 600 + 1));
  });
});

describe('timingForProvider', () => {
  it('refreshes inside the window of a provider that refuses early refreshes', () => {
    expect(timingForProvider(timing, { refreshNotBeforeSeconds: 120 }).marginSeconds).toBe(120);
    expect(timingForProvider(timing, { refreshNotBeforeSeconds: 600 })).toBe(timing);
    expect(timingForProvider(timing, undefined)).toBe(timing);
  });
});
