import { CancellationScope, isCancellation, setCurrentDetails } from '@temporalio/workflow';
import type { ConnectionActivityProxies } from './activityOptions.js';
import type { ConnectionSnapshot, SavedConnectionState } from './connectionMessages.js';
import { type ConnectionState, setStatus, snapshot } from './connectionState.js';
import { planRefresh } from './planRefresh.js';
import { withinCoalescingWindow } from './refreshCoalescing.js';
import { throttleRefreshes } from './refreshThrottle.js';

/**
 * The refreshing of the keepFresh phase: when the next planned refresh is due (the plan, held back by
 * the throttle), and one token-endpoint call for everyone asking while it runs or shortly after it
 * finished (coalesced). Changes the state's clock, timing and status with each refresh.
 */
export function createRefresher(
  state: ConnectionState,
  activities: ConnectionActivityProxies,
  saved: SavedConnectionState | undefined,
) {
  let recentRefreshes = saved?.recentRefreshes ?? [];
  let refreshPausedUntil = saved?.refreshPausedUntil ?? null;
  let running: { scope: CancellationScope; result: Promise<ConnectionSnapshot> } | undefined;
  let lastRefreshMs: number | undefined;
  let made = 0;

  /** When to refresh next (epoch ms), or undefined when nothing lapses. */
  function nextRefreshAt(): number | undefined {
    const at = planRefresh(state.clock, state.timing, Math.random, recentRefreshes.at(-1));
    return at === undefined ? undefined : Math.max(at, refreshPausedUntil ?? at);
  }

  /**
   * A planned refresh that is due (at `plannedAt`, epoch ms): made, held back by the throttle
   * (`paused`), or cut short by a disconnect.
   */
  async function refreshAsPlanned(plannedAt: number): Promise<'refreshed' | 'paused' | 'cancelled'> {
    if (await pausedByThrottle()) return 'paused';
    recentRefreshes = [...recentRefreshes, Date.now()];
    try {
      await joinOrStartRefresh(plannedAt); // not the coalescing window: that is for refreshes asked for
    } catch (err) {
      if (isCancellation(err)) return 'cancelled';
      throw err;
    }
    return 'refreshed';
  }

  /** The throttle's verdict on a planned refresh that is due: true when it starts (and records) a pause. */
  async function pausedByThrottle(): Promise<boolean> {
    if (refreshPausedUntil !== null) {
      refreshPausedUntil = null;
      setCurrentDetails('');
      return false;
    }
    const { throttle } = state.timing;
    const verdict = throttleRefreshes(recentRefreshes, Date.now(), throttle);
    recentRefreshes = verdict.recent;
    if (verdict.pausedUntilMs === undefined) return false;
    refreshPausedUntil = verdict.pausedUntilMs;
    const resumesAt = new Date(refreshPausedUntil).toISOString();
    setCurrentDetails(
      `Planned refreshes paused until ${resumesAt}: ${throttle.limit} within ${throttle.windowSeconds} s.`,
    );
    await activities.quick.recordRefreshThrottled({
      connectionId: state.connectionId,
      resumesAt,
      timing: state.timing,
    });
    return true;
  }

  /** One token-endpoint call for everyone asking while it runs or shortly after it finished. */
  function refreshCoalesced(): Promise<ConnectionSnapshot> {
    if (running) return running.result;
    if (withinCoalescingWindow(lastRefreshMs, Date.now(), state.timing)) return Promise.resolve(snapshot(state));
    return joinOrStartRefresh();
  }

  /** The token-endpoint call in flight, or a new one (planned for `plannedAt`, when it is a planned one). */
  function joinOrStartRefresh(plannedAt?: number): Promise<ConnectionSnapshot> {
    if (running) return running.result;
    const scope = new CancellationScope();
    const input = { connectionId: state.connectionId, ...(plannedAt === undefined ? {} : { plannedAt }) };
    const result = scope
      .run(() => activities.refresh.refreshTokens(input))
      .then((refreshed) => {
        lastRefreshMs = Date.now();
        made += 1;
        if (refreshed.status === 'missing') {
          setStatus(state, 'deleted');
          return snapshot(state);
        }
        state.clock = refreshed.clock;
        state.timing = refreshed.timing;
        state.lastRefreshedAt = refreshed.lastRefreshedAt;
        setStatus(state, refreshed.status);
        return snapshot(state);
      })
      .finally(() => {
        running = undefined;
      });
    running = { scope, result };
    return result;
  }

  return {
    nextRefreshAt,
    refreshAsPlanned,
    refreshCoalesced,
    /** token-endpoint refreshes this run made (planned and on demand) */
    made: () => made,
    /** whether a refresh is in flight */
    busy: () => running !== undefined,
    cancel: () => running?.scope.cancel(),
    /** resolves once no refresh is in flight (whatever its outcome) */
    settled: async () => {
      await running?.result.catch(() => undefined);
    },
    /** what the next run carries over of the throttle */
    carried: (): Pick<SavedConnectionState, 'recentRefreshes' | 'refreshPausedUntil'> => ({
      recentRefreshes,
      refreshPausedUntil,
    }),
  };
}
