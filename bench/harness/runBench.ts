import { cpus, totalmem } from 'node:os';
import {
  COALESCE_TYPE,
  FLOW_TYPE,
  PROXY_TYPE,
  SCALE_TYPE,
  startBenchStack,
  type BenchStackOptions,
  type ContenderName,
} from './benchStack.js';
import { runCoalescingPart, type CoalescingResult } from '../parts/coalescing.js';
import { runFlowsPart, type FlowsPartResult } from '../parts/flows.js';
import { runProxyPart, type ProxyPartResult } from '../parts/proxy.js';
import { retireConnections, runScalePart, type ScalePartResult } from '../parts/scale.js';
import { CAPACITY_LIMITS, runCapacityPart, type CapacityPartResult } from '../parts/capacity.js';
import { runRunLengthPart, type RunLengthPartResult } from '../parts/runLength.js';
import { checkTargets, type TargetCheck } from '../targets.js';
import type { BenchSizes } from './sizes.js';
import type { Engine } from '../../scripts/dev/stack/startStack.js';
import { round } from './stats.js';

export type BenchPart = 'flows' | 'coalescing' | 'proxy' | 'scale' | 'capacity' | 'run-length';
/** the parts a run without --parts runs (capacity is a mode of its own: --capacity) */
export const DEFAULT_PARTS: BenchPart[] = ['flows', 'coalescing', 'proxy', 'scale'];

export interface RunBenchOptions {
  sizes: BenchSizes;
  dataDir: string;
  parts?: BenchPart[];
  /** reuse running Temporal and MongoDB servers instead of starting them (the smoke test) */
  servers?: { temporalAddress: string; mongoUri: string };
  taskQueue?: string;
  database?: string;
  cpuProf?: boolean;
  /** any other option of the bench stack, passed through as given (e.g. which engine it runs on) */
  stackOptions?: Partial<Omit<BenchStackOptions, 'dataDir' | 'sizes' | 'log'>>;
  /** at the end, end every workflow the bench started and drop its databases (for reused servers) */
  cleanUp?: boolean;
  log?: (line: string) => void;
}

export interface BenchResults {
  startedAt: string;
  sizes: BenchSizes['name'];
  /** the servers connectflow ran on (older results: sqlite) */
  engine?: Engine;
  machine: { cpus: number; cpuModel: string | undefined; memoryGiB: number; node: string };
  env: Record<string, string>;
  contenders: Array<{ name: ContenderName; exchangesCode: boolean; wiring: string }>;
  stackStartSeconds: number;
  flows?: FlowsPartResult;
  coalescing?: CoalescingResult;
  proxy?: ProxyPartResult;
  scale?: ScalePartResult;
  capacity?: CapacityPartResult;
  runLength?: RunLengthPartResult;
  targets: TargetCheck[];
  /** parts that threw (the others' figures are kept) */
  failures: Array<{ part: BenchPart; error: string }>;
  wallSeconds: number;
}

/** Starts the bench stack, runs the parts, stops everything; returns the raw figures. */
export async function runBench(options: RunBenchOptions): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => console.error(`[bench] ${line}`));
  const parts = new Set(options.parts ?? DEFAULT_PARTS);
  const { sizes } = options;
  const started = Date.now();
  const bench = await startBenchStack({
    ...options.stackOptions,
    dataDir: options.dataDir,
    sizes,
    servers: options.servers,
    taskQueue: options.taskQueue,
    database: options.database,
    cpuProf: options.cpuProf,
    log,
  });
  const stackStartSeconds = round((Date.now() - started) / 1000, 1);
  log(`stack ready in ${stackStartSeconds} s (logs in ${bench.dataDir}/logs)`);
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    sizes: sizes.name,
    engine: bench.engine,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    env: bench.publicEnv,
    contenders: bench.contenders.map((c) => ({ name: c.name, exchangesCode: c.exchangesCode, wiring: c.wiring })),
    stackStartSeconds,
    targets: [],
    failures: [],
    wallSeconds: 0,
  };
  const attempt = async (part: BenchPart, work: () => Promise<void>) => {
    if (!parts.has(part)) return;
    try {
      await work();
    } catch (err) {
      // keep what the other parts measured
      results.failures.push({ part, error: (err as Error).stack ?? String(err) });
      log(`${part} FAILED: ${(err as Error).message}`);
    }
  };
  try {
    const { pids } = bench;
    const processes = {
      temporal: pids.temporal,
      ferretdb: pids.ferretdb,
      'connectflow API': pids.api,
      'connectflow worker': pids.worker,
      direct: pids.direct,
      'bare-Temporal app': pids.bareApp,
      'bare-Temporal worker': pids.bareWorker,
      'bench (driver + providers)': process.pid,
    };
    await attempt('flows', async () => {
      results.flows = await runFlowsPart(bench.contenders, sizes.flows, log, processes);
      // Parts 2 and 3 start from an empty `connections` collection: on FerretDB every lookup but a
      // bare {_id} scans the whole collection, so the flows' connections would slow them down.
      log(
        `retired the ${await retireConnections(bench, { provider: { $in: [FLOW_TYPE, COALESCE_TYPE] } })} connections of part 1`,
      );
    });
    await attempt('coalescing', async () => {
      results.coalescing = await runCoalescingPart(bench, sizes.coalescing);
      log(
        `coalescing: ${results.coalescing.tokenEndpointCalls} token call(s), p99 ${results.coalescing.latency.p99} ms`,
      );
      await retireConnections(bench, { provider: COALESCE_TYPE });
    });
    await attempt('proxy', async () => {
      results.proxy = await runProxyPart(bench, sizes.proxy);
      const one = results.proxy.levels[0];
      log(`proxy: +${one?.addedP50Ms} ms p50, +${one?.addedP99Ms} ms p99 at concurrency 1`);
      await retireConnections(bench, { provider: PROXY_TYPE });
    });
    await attempt('scale', async () => {
      // A fresh worker, so that its memory is the scale phases' and not what parts 1 and 2 left behind.
      await bench.restartWorker();
      results.scale = await runScalePart(bench, sizes.scale, log);
    });
    await attempt('capacity', async () => {
      results.capacity = await runCapacityPart(bench, sizes.scale, { ...sizes.capacity, ...CAPACITY_LIMITS }, log);
      for (const run of results.capacity.runs)
        log(`capacity: ${run.capacityPerSecond} refreshes/s sustained with ${run.workers} worker(s)`);
    });
    await attempt('run-length', async () => {
      results.runLength = await runRunLengthPart(bench, sizes.scale, sizes.runLength, log);
    });
  } finally {
    if (options.cleanUp) {
      await retireConnections(bench, { provider: { $in: [FLOW_TYPE, COALESCE_TYPE, PROXY_TYPE, SCALE_TYPE] } }).catch(
        () => undefined,
      );
      await bench.store.client
        .db(`${bench.config.MONGODB_DATABASE}_direct`)
        .dropDatabase()
        .catch(() => undefined);
      await bench.store.db.dropDatabase().catch(() => undefined);
    }
    await bench.stop();
  }
  results.targets = checkTargets(results, sizes);
  results.wallSeconds = round((Date.now() - started) / 1000, 1);
  return results;
}
