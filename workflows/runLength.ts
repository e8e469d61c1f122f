import type { RefreshTiming } from '../lib/config.js';

/**
 * Refreshes one run of a connection's workflow holds (about 6 history events each) unless configured:
 * the cheapest steady state measured with more connections than the worker caches (docs/performance.md).
 */
export const DEFAULT_REFRESHES_PER_RUN = 5;

/** Where a run of the keepFresh loop stands when it may carry on as a new run. */
export interface RunSoFar {
  /** token-endpoint refreshes this run made */
  refreshes: number;
  /** whether a planned refresh was just made (else the loop was woken by a change) */
  afterPlannedRefresh: boolean;
  continueAsNewSuggested: boolean;
}

/**
 * Whether a run should continue as new: after `refreshesPerRun` refreshes, or when Temporal suggests it.
 * Timing without `refreshesPerRun` was handed on by a worker from before runs held several refreshes
 * (in the run's input or a recorded activity result, so replay sees the same): such a run carries on
 * after each planned refresh, as it did when it was recorded.
 */
export function runIsFull(run: RunSoFar, timing: RefreshTiming): boolean {
  if (run.continueAsNewSuggested) return true;
  if (timing.refreshesPerRun === undefined) return run.afterPlannedRefresh;
  return run.refreshes >= timing.refreshesPerRun;
}
