import type { RefreshTiming } from '../lib/config.js';

/**
 * The last line of defence against a refresh storm, independent of the plan: a connection whose
 * planned refreshes reached `limit` within `windowSeconds` makes no planned refresh until a cool-down
 * has passed. `recent` are the times (epoch ms) of its planned refreshes, oldest first.
 */
export function throttleRefreshes(
  recent: number[],
  nowMs: number,
  throttle: RefreshTiming['throttle'],
): { recent: number[]; pausedUntilMs?: number } {
  const inWindow = recent.filter((at) => at > nowMs - throttle.windowSeconds * 1000);
  if (inWindow.length < throttle.limit) return { recent: inWindow };
  return { recent: [], pausedUntilMs: nowMs + throttle.cooldownSeconds * 1000 };
}
