import { ConfigSchema } from '../../lib/config.js';
import { refreshLeadMs } from '../../workflows/planRefresh.js';
import { SCALE_TYPE, type BenchStack } from '../harness/benchStack.js';
import type { BenchSizes } from '../harness/sizes.js';
import { round } from '../harness/stats.js';
import { isServer } from '../harness/serverProcesses.js';
import { retireConnections, runPhase, type ScalePhaseResult } from './scale.js';

export interface CapacityOptions {
  /** how long each step's planned refreshes are spread over */
  windowSeconds: number;
  /** planned refreshes per second, stepped up until one fails */
  rates: number[];
  /** the search is run with each of these numbers of worker processes */
  workers: number[];
  /** a step holds when its lag p99 stays at or under this */
  lagP99LimitSeconds: number;
  /** ... and it achieves at least this share of its planned rate */
  achievedShare: number;
}

/** What a step must keep to hold: lag p99 at most 5 s, and 95% of the planned rate achieved. */
export const CAPACITY_LIMITS = { lagP99LimitSeconds: 5, achievedShare: 0.95 };

export interface CapacityStep {
  plannedPerSecond: number;
  connections: number;
  achievedPerSecond: number;
  lagP99Seconds: number;
  held: boolean;
  /** CPU of the servers (worker, API, Temporal, MongoDB) per refresh, in ms */
  serverCpuMsPerRefresh: number;
  /** RSS peak of the servers per 1,000 connections, in MiB */
  serverRssMiBPer1000: number;
  workerRssPeakMiB: number | undefined;
  phase: ScalePhaseResult;
}

export interface CapacityRun {
  workers: number;
  steps: CapacityStep[];
  /** the highest planned rate that held (refreshes per second), 0 when none did */
  capacityPerSecond: number;
  /** connections one machine holds at that rate, by access-token lifetime */
  connectionsByLifetime: Array<{ lifetime: string; refreshEverySeconds: number; connections: number }>;
}

export interface CapacityPartResult {
  method: string;
  windowSeconds: number;
  runs: CapacityRun[];
}

/** Token lifetimes the capacity is translated to connections at. */
export const LIFETIMES = [
  { lifetime: '10 minutes', seconds: 600 },
  { lifetime: '1 hour', seconds: 3_600 },
  { lifetime: '24 hours', seconds: 86_400 },
];

/**
 * The sustained refresh capacity: each step spreads rate × window connections' planned refreshes
 * over the window (the scale part's phase), and holds when lag p99 ≤ the limit and the achieved rate
 * ≥ the share of the planned one. Rates step up until one fails, then the midpoint between the last
 * that held and the first that failed is tried once.
 */
export async function runCapacityPart(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  options: CapacityOptions,
  log: (line: string) => void,
): Promise<CapacityPartResult> {
  const cycle = sizes.accessTokenTtlSeconds - sizes.marginSeconds;
  if (options.windowSeconds + 2 * sizes.drainSeconds > cycle)
    throw new Error(
      `capacity: a ${options.windowSeconds} s window needs a refresh cycle of at least window + 2 drains (it is ${cycle} s)`,
    );
  const runs: CapacityRun[] = [];
  for (const workers of options.workers) {
    await bench.restartWorker(workers);
    runs.push(await searchCapacity(bench, sizes, options, workers, log));
  }
  await bench.restartWorker(1);
  return {
    method:
      `the scale part's phase at each planned rate: rate × ${options.windowSeconds} s connections, their planned refreshes ` +
      `spread evenly over the window; a step holds when lag p99 ≤ ${options.lagP99LimitSeconds} s and the achieved rate ` +
      `≥ ${options.achievedShare * 100}% of planned; rates ${options.rates.join(', ')}/s stepped up, then one bisection; ` +
      'server CPU = worker(s) + API + Temporal + MongoDB (+ PostgreSQL); RSS the same without PostgreSQL',
    windowSeconds: options.windowSeconds,
    runs,
  };
}

async function searchCapacity(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  options: CapacityOptions,
  workers: number,
  log: (line: string) => void,
): Promise<CapacityRun> {
  const steps: CapacityStep[] = [];
  let creationRate = sizes.assumedCreationRate;
  const step = async (rate: number): Promise<CapacityStep> => {
    await retireConnections(bench, { provider: SCALE_TYPE });
    const n = Math.max(1, Math.round(rate * options.windowSeconds));
    const phase = await runPhase(bench, sizes, n, n / rate, creationRate, log);
    creationRate = Math.max(1, phase.creationPerSecond * 0.8);
    const result = capacityStep(rate, phase, sizes.drainSeconds, options);
    log(
      `capacity, ${workers} worker(s): ${rate}/s planned, ${result.achievedPerSecond}/s achieved, lag p99 ${result.lagP99Seconds} s: ${result.held ? 'held' : 'failed'}`,
    );
    steps.push(result);
    return result;
  };
  let held: number | undefined;
  let failed: number | undefined;
  for (const rate of [...options.rates].sort((a, b) => a - b)) {
    if ((await step(rate)).held) held = rate;
    else {
      failed = rate;
      break;
    }
  }
  if (failed !== undefined) {
    const mid = round(((held ?? 0) + failed) / 2, 1);
    if (mid > (held ?? 0) && mid < failed && (await step(mid)).held) held = mid;
  }
  await retireConnections(bench, { provider: SCALE_TYPE });
  const capacityPerSecond = held ?? 0;
  return {
    workers,
    steps,
    capacityPerSecond,
    // at the product's default margin, not the bench stack's short one
    connectionsByLifetime: connectionsHeld(
      capacityPerSecond,
      ConfigSchema.shape.CONNECTFLOW_REFRESH_MARGIN_SECONDS.parse(undefined),
    ),
  };
}

function capacityStep(
  rate: number,
  phase: ScalePhaseResult,
  drainSeconds: number,
  options: CapacityOptions,
): CapacityStep {
  // CPU is sampled from the window's start to the first read, a drain after the window
  const cores = Object.entries(phase.windowCpuCores).reduce((sum, [k, v]) => sum + (isServer(k) ? (v ?? 0) : 0), 0);
  const cpuSeconds = cores * (phase.windowSeconds + drainSeconds);
  // (a process not sampled for memory, PostgreSQL, has no peak: NaN)
  const peak = (v: { peakMiB?: number }) => (Number.isFinite(v.peakMiB) ? v.peakMiB! : 0);
  const rssMiB = Object.entries(phase.rssMiB).reduce((sum, [k, v]) => sum + (isServer(k) ? peak(v) : 0), 0);
  return {
    plannedPerSecond: rate,
    connections: phase.activeConnections,
    achievedPerSecond: phase.achievedPerSecond,
    lagP99Seconds: phase.lagSeconds.p99,
    held: phase.lagSeconds.p99 <= options.lagP99LimitSeconds && phase.achievedPerSecond >= options.achievedShare * rate,
    serverCpuMsPerRefresh: round((cpuSeconds * 1000) / Math.max(1, phase.refreshed), 2),
    serverRssMiBPer1000: round((rssMiB * 1000) / phase.activeConnections, 1),
    workerRssPeakMiB: phase.rssMiB.worker?.peakMiB,
    phase,
  };
}

/**
 * Connections refreshed at `perSecond` when each refreshes once per lifetime − lead (the plan's rule:
 * the margin, or a quarter of the lifetime when that is shorter).
 */
export function connectionsHeld(perSecond: number, marginSeconds: number): CapacityRun['connectionsByLifetime'] {
  return LIFETIMES.map(({ lifetime, seconds }) => {
    const refreshEverySeconds = seconds - refreshLeadMs(seconds * 1000, { marginSeconds }) / 1000;
    return { lifetime, refreshEverySeconds, connections: Math.floor(perSecond * refreshEverySeconds) };
  });
}
