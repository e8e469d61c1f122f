import { describe, expect, it } from 'vitest';
import { loadConfig, refreshTiming } from '../../lib/config.js';
import { DEFAULT_REFRESHES_PER_RUN, runIsFull } from '../../workflows/runLength.js';

const timing = refreshTiming(loadConfig({}));
const run = (refreshes: number, afterPlannedRefresh = true, continueAsNewSuggested = false) => ({
  refreshes,
  afterPlannedRefresh,
  continueAsNewSuggested,
});

describe('how many refreshes one workflow run holds', () => {
  it('holds CONNECTFLOW_REFRESHES_PER_RUN refreshes, 5 unless set', () => {
    expect(DEFAULT_REFRESHES_PER_RUN).toBe(5);
    expect(timing.refreshesPerRun).toBe(DEFAULT_REFRESHES_PER_RUN);
    expect(runIsFull(run(4), timing)).toBe(false);
    expect(runIsFull(run(5), timing)).toBe(true);
    const three = refreshTiming(loadConfig({ CONNECTFLOW_REFRESHES_PER_RUN: '3' }));
    expect(runIsFull(run(2), three)).toBe(false);
    expect(runIsFull(run(3), three)).toBe(true);
    expect(runIsFull(run(3, false), three)).toBe(true); // e.g. once a reauthorization that held it back ended
  });

  it('carries on sooner when Temporal suggests it', () => {
    expect(runIsFull(run(0, false, true), timing)).toBe(true);
  });

  it('a run whose timing came from an older worker carries on after each planned refresh, as it was recorded', () => {
    const { refreshesPerRun: _, ...older } = timing;
    expect(runIsFull(run(1), older)).toBe(true);
    expect(runIsFull(run(1, false), older)).toBe(false);
  });

  it('refuses a bound below one', () => {
    expect(() => loadConfig({ CONNECTFLOW_REFRESHES_PER_RUN: '0' })).toThrow();
  });
});
