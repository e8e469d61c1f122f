import type { RefreshTiming } from '../lib/config.js';

/**
 * Whether an on-demand refresh asked at `nowMs` is answered by the refresh that ended at
 * `lastRefreshMs` instead of calling the token endpoint again: it is, within the coalescing window.
 * The workflow judges by its own last refresh; the API, before asking it, by the stored lastRefreshedAt.
 */
export function withinCoalescingWindow(
  lastRefreshMs: number | undefined,
  nowMs: number,
  timing: Pick<RefreshTiming, 'coalesceSeconds'>,
): boolean {
  return lastRefreshMs !== undefined && nowMs - lastRefreshMs < timing.coalesceSeconds * 1000;
}
