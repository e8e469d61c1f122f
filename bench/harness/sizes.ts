/** How big each part of the bench is: the full run, `--quick` for development, and the smoke test's. */
export interface BenchSizes {
  name: 'full' | 'quick' | 'smoke';
  flows: {
    concurrency: number[];
    /** flows measured per contender and concurrency level */
    flowsPerLevel: (concurrency: number) => number;
    /** unmeasured sequential flows per contender first (JIT, discovery, workflow bundle caches) */
    warmup: number;
    /** the level the throughput/p99 targets are read at */
    targetConcurrency: number;
  };
  coalescing: {
    /** concurrent POST /api/connections/:id/refresh */
    requests: number;
    /** sequential direct refresh-token grants timed to get one provider round trip */
    roundTrips: number;
  };
  proxy: {
    /** calls measured one after the other, for each of direct and proxy (after as many unmeasured) */
    sequential: number;
    /** calls measured at the concurrency, for each of direct and proxy */
    concurrent: number;
    concurrency: number;
    /** simultaneous proxied calls on a connection whose token is expired */
    expiredBurst: number;
  };
  /** the capacity mode (`--capacity`): steps of the scale part's phase at rising refresh rates */
  capacity: {
    /** each step's planned refreshes are spread over this window */
    windowSeconds: number;
    /** planned refreshes per second, stepped up */
    rates: number[];
    /** numbers of worker processes, one search each */
    workers: number[];
  };
  /**
   * The run-length part (`--parts run-length`): the steady state of refreshing by refreshes per run,
   * on tokens of `accessTokenTtlSeconds` refreshed `marginSeconds` early (the scale sizes for its run)
   */
  runLength: {
    connections: number;
    cycles: number;
    refreshesPerRun: number[];
    accessTokenTtlSeconds: number;
    marginSeconds: number;
  };
  scale: {
    /** active connections in each phase (a phase retires the previous one's and creates its own) */
    phases: number[];
    /** the lifetime of the minted and refreshed access tokens */
    accessTokenTtlSeconds: number;
    /**
     * CONNECTFLOW_REFRESH_MARGIN_SECONDS of the stack: a connection refreshes every ttl − margin seconds
     * (at most a quarter of the ttl, or the plan shortens the lead to that quarter)
     */
    marginSeconds: number;
    /**
     * After a phase's window: time for the last refreshes to land before the results are read. The
     * largest phase spreads its planned refreshes over one refresh cycle (ttl − margin) minus twice
     * this (so the results are read before any connection refreshes a second time), and every phase
     * runs at that same rate (its window is shorter), so phases differ only in size.
     */
    drainSeconds: number;
    /** how long past the drain to wait for stragglers (when at most a tenth is missing) before counting them as not refreshed */
    stragglerSeconds: number;
    /** workflow starts in flight while creating connections */
    startConcurrency: number;
    /** connections per second assumed for the first phase's creation (later phases use the measured rate) */
    assumedCreationRate: number;
    /** seconds between the expected end of creation and the window */
    leadSeconds: number;
  };
}

export const FULL: BenchSizes = {
  name: 'full',
  flows: {
    concurrency: [1, 20, 100],
    flowsPerLevel: (c) => (c === 1 ? 30 : 200),
    warmup: 10,
    targetConcurrency: 20,
  },
  coalescing: { requests: 1000, roundTrips: 30 },
  capacity: { windowSeconds: 180, rates: [10, 20, 40, 80], workers: [1, 2] },
  proxy: { sequential: 2000, concurrent: 10_000, concurrency: 50, expiredBurst: 200 },
  // 20 refreshes/s on 300 connections (3× the worker's cache), 20 cycles: whole runs of 1, 5, 10 and 20
  // 20 refreshes/s on 180 connections (more than the worker's cache of 100), 20 cycles: whole runs of 1, 5 and 20
  runLength: { connections: 180, cycles: 20, refreshesPerRun: [1, 5, 20], accessTokenTtlSeconds: 12, marginSeconds: 3 },
  scale: {
    phases: [1_000, 10_000],
    // A token refreshed every 5 minutes: 10,000 over 260 s (38/s), 1,000 over 26 s.
    accessTokenTtlSeconds: 400,
    marginSeconds: 100,
    drainSeconds: 20,
    stragglerSeconds: 15,
    startConcurrency: 32,
    assumedCreationRate: 50,
    leadSeconds: 3,
  },
};

export const QUICK: BenchSizes = {
  name: 'quick',
  flows: { concurrency: [1, 5], flowsPerLevel: () => 20, warmup: 3, targetConcurrency: 5 },
  coalescing: { requests: 50, roundTrips: 10 },
  capacity: { windowSeconds: 30, rates: [5, 10], workers: [1, 2] },
  proxy: { sequential: 300, concurrent: 2000, concurrency: 50, expiredBurst: 200 },
  runLength: { connections: 100, cycles: 4, refreshesPerRun: [1, 4], accessTokenTtlSeconds: 12, marginSeconds: 3 },
  scale: {
    phases: [5, 50],
    accessTokenTtlSeconds: 40,
    marginSeconds: 10, // refresh every 30 s
    drainSeconds: 10,
    stragglerSeconds: 15,
    startConcurrency: 8,
    assumedCreationRate: 20,
    leadSeconds: 2,
  },
};

/** test/bench.smoke.test.ts: the least that still exercises every code path. */
export const SMOKE: BenchSizes = {
  name: 'smoke',
  flows: { concurrency: [1, 2], flowsPerLevel: () => 3, warmup: 1, targetConcurrency: 2 },
  coalescing: { requests: 20, roundTrips: 3 },
  // the window fits the smoke's refresh cycle (6 s) less twice the drain
  capacity: { windowSeconds: 2, rates: [1, 2], workers: [1, 2] },
  proxy: { sequential: 10, concurrent: 40, concurrency: 5, expiredBurst: 20 },
  runLength: { connections: 3, cycles: 2, refreshesPerRun: [2], accessTokenTtlSeconds: 8, marginSeconds: 2 },
  scale: {
    phases: [3, 6],
    accessTokenTtlSeconds: 8,
    marginSeconds: 2, // refresh every 6 s
    drainSeconds: 2,
    stragglerSeconds: 20,
    startConcurrency: 4,
    assumedCreationRate: 10,
    leadSeconds: 1,
  },
};

/**
 * The scale sizes a capacity window needs: every connection refreshes once inside the window, its next
 * refresh (a cycle later) after the results are read. Tokens live 4/3 of window + drains, and the
 * margin is a quarter of that (the plan's lead for short tokens), so a cycle is 3/4 of the lifetime.
 */
export function scaleForCapacity(sizes: BenchSizes): BenchSizes['scale'] {
  const { scale } = sizes;
  const needed = sizes.capacity.windowSeconds + 2 * scale.drainSeconds;
  if (scale.accessTokenTtlSeconds - scale.marginSeconds >= needed) return scale;
  const ttl = Math.ceil((needed * 4) / 3);
  return { ...scale, accessTokenTtlSeconds: ttl, marginSeconds: Math.floor(ttl / 4) };
}

/** The scale sizes the run-length part runs on: its short tokens and margin. */
export function scaleForRunLength(sizes: BenchSizes): BenchSizes['scale'] {
  const { accessTokenTtlSeconds, marginSeconds } = sizes.runLength;
  return { ...sizes.scale, accessTokenTtlSeconds, marginSeconds };
}
