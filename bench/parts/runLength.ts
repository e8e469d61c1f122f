import { Client } from '@temporalio/client';
import { refreshTiming } from '../../lib/config.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import { SCALE_TYPE, type BenchStack } from '../harness/benchStack.js';
import { PostgresActivitySampler, type PostgresActivity } from '../harness/postgresActivity.js';
import { RssSampler } from '../harness/procStats.js';
import type { BenchSizes } from '../harness/sizes.js';
import { round } from '../harness/stats.js';
import { inParallel, sleepUntil } from '../harness/pacing.js';
import { isServer, serverProcesses } from '../harness/serverProcesses.js';
import { postgresFromEnv } from '../../scripts/dev/stack/startStack.js';
import { createScaleConnections, retireConnections } from './scale.js';
import { countedRefreshesQuery } from '../contenders/bareTemporal/messages.js';
import { bareRefreshLoopWorkflow } from '../contenders/bareTemporal/workflows.js';

export interface RunLengthOptions {
  connections: number;
  /** refresh cycles measured: a multiple of every run length, so each connection's refreshes cover whole runs */
  cycles: number;
  /** CONNECTFLOW_REFRESHES_PER_RUN values tried, each with a fresh worker */
  refreshesPerRun: number[];
}

export interface RunLengthStep {
  /** connectflow, or the bare loop (bare Temporal: the same timer and local activity, no I/O) */
  contender: 'connectflow' | 'bare Temporal';
  refreshesPerRun: number;
  plannedPerSecond: number;
  refreshes: number;
  achievedPerSecond: number;
  /** CPU per refresh over the measured cycles, by process, in ms */
  cpuMsPerRefresh: Record<string, number>;
  serverCpuMsPerRefresh: number;
  workerRssPeakMiB: number | undefined;
  postgres?: PostgresActivity;
}

export interface RunLengthPartResult {
  method: string;
  cycleSeconds: number;
  steps: RunLengthStep[];
}

/** One run length's measurement: where it runs and with what. */
interface RunLengthRun {
  bench: BenchStack;
  sizes: BenchSizes['scale'];
  options: RunLengthOptions;
  refreshesPerRun: number;
  cycleSeconds: number;
  log: (line: string) => void;
}

/**
 * The steady state of refreshing, by run length: the same connections refresh cycle after cycle, so a
 * workflow evicted from the worker's cache replays its run so far at each refresh (the capacity part
 * measures each connection's first refresh only). For each CONNECTFLOW_REFRESHES_PER_RUN value: a
 * fresh worker, `connections` new connections whose refreshes are spread over a cycle, one cycle to
 * start, then CPU per refresh over `cycles` cycles.
 */
export async function runRunLengthPart(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  options: RunLengthOptions,
  log: (line: string) => void,
): Promise<RunLengthPartResult> {
  const cycleSeconds = sizes.accessTokenTtlSeconds - sizes.marginSeconds;
  const steps: RunLengthStep[] = [];
  for (const refreshesPerRun of options.refreshesPerRun) {
    await retireConnections(bench, { provider: SCALE_TYPE });
    await bench.restartWorker(1, { CONNECTFLOW_REFRESHES_PER_RUN: String(refreshesPerRun) });
    const run: RunLengthRun = { bench, sizes, options, refreshesPerRun, cycleSeconds, log };
    steps.push(await measureConnectflow(run));
    // connectflow's connections would go on refreshing on the same servers while the bare loop is measured
    await retireConnections(bench, { provider: SCALE_TYPE });
    steps.push(await measureBareLoop(run));
  }
  await retireConnections(bench, { provider: SCALE_TYPE });
  await bench.restartWorker(1);
  return {
    method:
      `${options.connections} connections refreshing every ${cycleSeconds} s (their first refreshes spread over one cycle), ` +
      `the worker's cache ${bench.config.CONNECTFLOW_WORKER_MAX_CACHED_WORKFLOWS} workflows; one cycle to start, then CPU ` +
      `over ${options.cycles} cycles divided by the connection.refreshed events written in them; a fresh worker per run length. ` +
      'The bare loop (bench/contenders/bareTemporal, same cache) after it: a timer, a no-op local activity, continue-as-new ' +
      'at the same run length; its refreshes counted by the workflows themselves (a query at the end)',
    cycleSeconds,
    steps,
  };
}

async function measureConnectflow(run: RunLengthRun): Promise<RunLengthStep> {
  const { bench, sizes, options, refreshesPerRun, cycleSeconds, log } = run;
  const timing = {
    ...timingForProvider(refreshTiming(bench.config), bench.catalog.get(SCALE_TYPE)!),
    refreshesPerRun,
  };
  const span = plannedSpan(sizes, options, cycleSeconds);
  await createScaleConnections(bench, sizes, span.planned, timing);
  log(
    `run length ${refreshesPerRun}: ${options.connections} connections made; measuring until ${new Date(span.until).toISOString()}`,
  );
  const measured = await sampleSpan(bench, { worker: bench.pids.worker, api: bench.pids.api }, span);
  const refreshes = await bench.store.events.countDocuments({
    provider: SCALE_TYPE,
    type: 'connection.refreshed',
    at: { $gte: new Date(span.from), $lt: new Date(span.until) },
  });
  return step(run, 'connectflow', span, refreshes, measured);
}

async function measureBareLoop(run: RunLengthRun): Promise<RunLengthStep> {
  const { bench, sizes, options, refreshesPerRun, cycleSeconds } = run;
  // the bare worker has no payload codec: a client without connectflow's
  const temporal = new Client({ connection: bench.temporal.connection, namespace: bench.config.TEMPORAL_NAMESPACE });
  const span = plannedSpan(sizes, options, cycleSeconds);
  const ids = span.planned.map((_, i) => `bench-bare-loop-${refreshesPerRun}-${i}-${span.from}`);
  await inParallel(ids, 16, (workflowId, i) =>
    temporal.workflow.start(bareRefreshLoopWorkflow, {
      workflowId,
      taskQueue: bench.bareTaskQueue,
      args: [
        {
          nextAt: span.planned[i]!,
          everyMs: cycleSeconds * 1000,
          refreshesPerRun,
          countFrom: span.from,
          countUntil: span.until,
          countedBefore: 0,
        },
      ],
    }),
  );
  const measured = await sampleSpan(bench, { worker: bench.pids.bareWorker }, span);
  let refreshes = 0;
  await inParallel(ids, 16, async (workflowId) => {
    const handle = temporal.workflow.getHandle(workflowId);
    // (read, then add: `refreshes += await ...` would add to the value read before the await)
    const counted = await handle.query(countedRefreshesQuery);
    refreshes += counted;
    await handle.terminate('bench: measured');
  });
  return step(run, 'bare Temporal', span, refreshes, measured);
}

/** First refreshes spread over one cycle after creation; measured from the second cycle on. */
function plannedSpan(sizes: BenchSizes['scale'], options: RunLengthOptions, cycleSeconds: number) {
  const n = options.connections;
  const cycleMs = cycleSeconds * 1000;
  const firstAt = Date.now() + (n / sizes.assumedCreationRate + sizes.leadSeconds) * 1000;
  const planned = Array.from({ length: n }, (_, i) => firstAt + ((i + 0.5) * cycleMs) / n);
  const from = firstAt + cycleMs;
  return { planned, from, until: from + options.cycles * cycleMs };
}

/** CPU of the contender's processes and the servers from `from` to `until`. */
async function sampleSpan(
  bench: BenchStack,
  contender: Record<string, number | undefined>,
  span: { from: number; until: number },
) {
  await sleepUntil(span.from);
  const sampler = new RssSampler({
    ...contender,
    temporal: bench.pids.temporal,
    ...serverProcesses(bench),
    ferretdb: bench.pids.ferretdb,
  }).start();
  const postgresSampler = bench.pids.postgres ? new PostgresActivitySampler(postgresFromEnv()).start() : undefined;
  await sleepUntil(span.until);
  return { series: sampler.stop(), postgres: await postgresSampler?.stop() };
}

function step(
  { options, refreshesPerRun, cycleSeconds, log }: RunLengthRun,
  contender: RunLengthStep['contender'],
  span: { from: number; until: number },
  refreshes: number,
  { series, postgres }: Awaited<ReturnType<typeof sampleSpan>>,
): RunLengthStep {
  const seconds = (span.until - span.from) / 1000;
  const cpuMsPerRefresh = Object.fromEntries(
    Object.entries(series)
      .filter(([, s]) => s.cpuCores !== undefined)
      .map(([name, s]) => [name, round((s.cpuCores! * seconds * 1000) / Math.max(1, refreshes), 2)]),
  );
  const serverCpuMsPerRefresh = round(
    Object.entries(cpuMsPerRefresh).reduce((sum, [name, ms]) => sum + (isServer(name) ? ms : 0), 0),
    2,
  );
  const result: RunLengthStep = {
    contender,
    refreshesPerRun,
    plannedPerSecond: round(options.connections / cycleSeconds, 1),
    refreshes,
    achievedPerSecond: round(refreshes / seconds, 1),
    cpuMsPerRefresh,
    serverCpuMsPerRefresh,
    workerRssPeakMiB: series.worker?.peakMiB,
    ...(postgres ? { postgres } : {}),
  };
  log(
    `run length ${refreshesPerRun}, ${contender}: ${refreshes} refreshes (${result.achievedPerSecond}/s), ${serverCpuMsPerRefresh} ms of server CPU each`,
  );
  return result;
}
