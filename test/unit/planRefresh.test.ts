import { describe, expect, it } from 'vitest';
import type { RefreshTiming } from '../../lib/config.js';
import { planRefresh } from '../../workflows/planRefresh.js';

const timing: RefreshTiming = { marginSeconds: 300, jitterSeconds: 30, retryInitialSeconds: 10, retryMaxSeconds: 3600, coalesceSeconds: 10 };
const at = (iso: string) => Date.parse(iso);

describe('planRefresh', () => {
  it('plans margin before the access token expires, within the jitter', () => {
    const clock = { tokenExpiresAt: '2026-01-01T01:00:00Z', refreshTokenExpiresAt: null };
    expect(planRefresh(clock, timing, () => 0.5)).toBe(at('2026-01-01T00:55:00Z'));
    expect(planRefresh(clock, timing, () => 0)).toBe(at('2026-01-01T00:54:30Z'));
    expect(planRefresh(clock, timing, () => 1)).toBe(at('2026-01-01T00:55:30Z'));
  });

  it('never lets jitter push a refresh past the expiry when the margin is small', () => {
    const clock = { tokenExpiresAt: '2026-01-01T00:00:05Z', refreshTokenExpiresAt: null };
    const small = { ...timing, marginSeconds: 2, jitterSeconds: 30 };
    expect(planRefresh(clock, small, () => 1)).toBe(at('2026-01-01T00:00:04Z'));
    expect(planRefresh(clock, small, () => 0)).toBe(at('2026-01-01T00:00:02Z'));
  });

  it('keeps a refresh token with a known lifetime alive when the access token never expires', () => {
    const clock = { tokenExpiresAt: null, refreshTokenExpiresAt: '2026-03-01T00:00:00Z' };
    expect(planRefresh(clock, timing, () => 0.5)).toBe(at('2026-02-28T23:55:00Z'));
  });

  it('takes whichever lapses first, and plans nothing when nothing lapses', () => {
    const both = { tokenExpiresAt: '2026-01-01T01:00:00Z', refreshTokenExpiresAt: '2026-01-01T00:10:00Z' };
    expect(planRefresh(both, timing, () => 0.5)).toBe(at('2026-01-01T00:05:00Z'));
    expect(planRefresh({ tokenExpiresAt: null, refreshTokenExpiresAt: null }, timing, Math.random)).toBeUndefined();
  });
});

describe('timingForProvider', async () => {
  const { timingForProvider } = await import('../../lib/providers/timingForProvider.js');
  it('refreshes inside the window of a provider that refuses early refreshes', () => {
    expect(timingForProvider(timing, { refreshNotBeforeSeconds: 120 }).marginSeconds).toBe(120);
    expect(timingForProvider(timing, { refreshNotBeforeSeconds: 600 })).toBe(timing);
    expect(timingForProvider(timing, undefined)).toBe(timing);
  });
});
