import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TokenEndpointResponse } from 'oauth4webapi';
import * as oauth from 'oauth4webapi';
import { refreshTiming, type RefreshTiming } from '../../lib/config.js';
import { secretHash } from '../../lib/crypto/secretHash.js';
import { timingForProvider } from '../../lib/providers/timingForProvider.js';
import { authorizedConnection } from '../../lib/store/authorizedConnection.js';
import type { ConnectionDoc, OAuthRequestDoc } from '../../lib/store/documents.js';
import { newPullId } from '../../lib/store/pullId.js';
import { savedConnectionStartOptions } from '../../lib/temporal/connectionWorkflowStart.js';
import { connectionWorkflowId } from '../../lib/temporal/names.js';
import { connectionWorkflow } from '../../workflows/connectionWorkflow.js';
import { SCALE_TYPE, type BenchStack } from '../harness/benchStack.js';
import { mintTokens } from '../harness/oidcStorage.js';
import { retrying } from '../harness/retry.js';
import { PostgresActivitySampler, type PostgresActivity } from '../harness/postgresActivity.js';
import { filesMiB, RssSampler, type RssSeries } from '../harness/procStats.js';
import { inParallel, sleepUntil } from '../harness/pacing.js';
import { otherWorkers, serverProcesses } from '../harness/serverProcesses.js';
import { postgresFromEnv } from '../../scripts/dev/stack/startStack.js';
import type { BenchSizes } from '../harness/sizes.js';
import { round, summarize, type Summary } from '../harness/stats.js';

export interface ScalePhaseResult {
  activeConnections: number;
  creationSeconds: number;
  creationPerSecond: number;
  /** the planned refreshes of this phase's connections are spread evenly over this window */
  windowSeconds: number;
  refreshesPerSecond: number;
  /** refreshes done per second from the window's start to the last refresh seen */
  achievedPerSecond: number;
  /** CPU each process used from the window's start to the first read, in cores */
  windowCpuCores: Record<string, number | undefined>;
  /** on postgres, over the same span: PostgreSQL's CPU by database and what its busy backends waited on */
  postgres?: PostgresActivity;
  refreshed: number;
  /** not refreshed by the end of the straggler wait */
  notRefreshed: number;
  needsReauth: number;
  /** workflows started after their planned refresh (creation fell behind the plan): left out of the lag */
  startedLate: number;
  /**
   * actual refresh (lastRefreshedAt) − planned (tokenExpiresAt − margin), seconds; a connection not
   * refreshed by the last read counts with its lag at that read (a lower bound, see lagCensored)
   */
  lagSeconds: Summary;
  /** connections in lagSeconds with a lower bound only (not refreshed by the last read) */
  lagCensored: number;
  /** the smallest of those lower bounds: a lag figure at or above it is itself a lower bound */
  lagCensoredFromSeconds: number | null;
  /** lag by tenth of the window, p99 each (where in the window lag builds up) */
  lagP99ByWindowTenth: number[];
  rssMiB: Record<string, RssSeries>;
  mongo: {
    dataSizeMiB?: number;
    storageSizeMiB?: number;
    indexSizeMiB?: number;
    totalSizeMiB?: number;
    fileMiB?: number;
  };
  temporalDbFileMiB?: number;
}

export interface ScalePartResult {
  method: string;
  refreshCycleSeconds: number;
  phases: ScalePhaseResult[];
}

/**
 * Part 3: N active connections on one worker, for each N. Connections are not made by flows (10,000
 * would take too long): real grants and refresh tokens are minted through oidc-provider's models at
 * the `bench_scale` demo provider (10-minute access tokens), the connection documents are built by
 * authorizedConnection as the code exchange builds them (beside a completed oauth_requests document),
 * and their workflows are started with savedConnectionStartOptions, as
 * the refresh-audit starts them. Expiries are staggered so that every planned refresh
 * (tokenExpiresAt − margin, no jitter) falls inside the phase's window, after all are created.
 */
export async function runScalePart(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  log: (line: string) => void,
): Promise<ScalePartResult> {
  const cycle = sizes.accessTokenTtlSeconds - sizes.marginSeconds;
  const largest = Math.max(...sizes.phases);
  // Planned refreshes per second, the same in every phase. The results are read `drain` after the
  // window, and that must come before the earliest second refresh (one cycle after the window's start).
  const rate = largest / (cycle - 2 * sizes.drainSeconds);
  if (!(rate > 0)) throw new Error('scale: the refresh cycle (ttl − margin) must be longer than twice the drain');
  let creationRate = sizes.assumedCreationRate;
  const phases: ScalePhaseResult[] = [];
  for (const n of sizes.phases) {
    await retireConnections(bench, { provider: SCALE_TYPE });
    const phase = await runPhase(bench, sizes, n, n / rate, creationRate, log);
    creationRate = Math.max(1, phase.creationPerSecond * 0.8);
    phases.push(phase);
  }
  return {
    method:
      'grants + refresh tokens minted through oidc-provider models (Grant/RefreshToken/AccessToken .save()) at demo provider ' +
      `"${SCALE_TYPE}" (${sizes.accessTokenTtlSeconds} s access tokens, rotation on); connection + completed oauth_requests ` +
      'documents built by authorizedConnection as the code exchange builds them; workflows started with ' +
      `savedConnectionStartOptions; a phase retires the previous phase's connections first (workflows terminated, documents deleted). ` +
      `Margin ${sizes.marginSeconds} s (refresh every ${cycle} s), jitter 0; planned refreshes at ${round(rate, 1)}/s in every phase`,
    refreshCycleSeconds: cycle,
    phases,
  };
}

/** One phase: n connections whose planned refreshes are spread evenly over the window. */
export async function runPhase(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  n: number,
  windowSeconds: number,
  assumedCreationRate: number,
  log: (line: string) => void,
): Promise<ScalePhaseResult> {
  const { store, config } = bench;
  const timing = timingForProvider(refreshTiming(config), bench.catalog.get(SCALE_TYPE)!);

  const sampler = new RssSampler({
    worker: bench.pids.worker,
    ...otherWorkers(bench),
    api: bench.pids.api,
    temporal: bench.pids.temporal,
    ...serverProcesses(bench),
    ferretdb: bench.pids.ferretdb,
    'bench (driver + providers)': process.pid,
  }).start();
  const creationStart = Date.now();
  const windowStart = creationStart + (n / assumedCreationRate + sizes.leadSeconds) * 1000;
  const windowMs = windowSeconds * 1000;
  const planned = Array.from({ length: n }, (_, i) => windowStart + ((i + 0.5) * windowMs) / n);
  log(
    `scale: ${n} connections, creating (window starts in ${round((windowStart - creationStart) / 1000)} s, lasts ${round(windowSeconds)} s)`,
  );

  const { ids, startedAt } = await createScaleConnections(bench, sizes, planned, timing);
  const creationSeconds = (Date.now() - creationStart) / 1000;
  log(
    `scale: ${n} created in ${round(creationSeconds)} s (${round(n / creationSeconds)}/s); ${round((windowStart - Date.now()) / 1000)} s to the window`,
  );

  const index = new Map(ids.map((id, i) => [id, i]));
  const refreshedAt = new Map<number, number>();
  const reauth = new Set<number>();
  const firstRead = windowStart + windowMs + sizes.drainSeconds * 1000;
  const deadline = firstRead + sizes.stragglerSeconds * 1000;
  // CPU while the planned refreshes run (from the window's start, or the end of creation if later)
  await sleepUntil(windowStart);
  const windowSampler = new RssSampler({
    worker: bench.pids.worker,
    ...otherWorkers(bench),
    temporal: bench.pids.temporal,
    ...serverProcesses(bench),
    ferretdb: bench.pids.ferretdb,
    api: bench.pids.api,
    'bench (driver + providers)': process.pid,
  }).start();
  const postgresSampler = bench.pids.postgres ? new PostgresActivitySampler(postgresFromEnv()).start() : undefined;
  await sleepUntil(firstRead);
  const windowCpu = Object.fromEntries(Object.entries(windowSampler.stop()).map(([k, v]) => [k, v.cpuCores]));
  const postgres = await postgresSampler?.stop();
  for (;;) {
    const docs = await retrying('reading lastRefreshedAt', () =>
      store.connections
        .find({ provider: SCALE_TYPE }, { projection: { _id: 1, lastRefreshedAt: 1, status: 1 } })
        .toArray(),
    );
    for (const doc of docs) {
      const i = index.get(doc._id);
      if (i === undefined || refreshedAt.has(i)) continue;
      if (doc.lastRefreshedAt) refreshedAt.set(i, doc.lastRefreshedAt.getTime());
      if (doc.status === 'needs_reauth') reauth.add(i);
    }
    const missing = n - refreshedAt.size - reauth.size;
    // Wait for a few stragglers (up to 10, or a tenth of a large phase), not for a backlog (that shows
    // in the lag's lower bounds). A tenth alone gave a 3-connection phase no wait at all.
    if (missing === 0 || missing > Math.max(n / 10, 10) || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 5_000)); // each read scans the collection on FerretDB
  }
  const rss = sampler.stop();

  // A connection not refreshed by the last read counts with the lag it had then (a lower bound).
  const lastRead = Date.now();
  const lags: number[] = [];
  const byTenth: number[][] = Array.from({ length: 10 }, () => []);
  let startedLate = 0;
  let censored = 0;
  let censoredFrom = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    if (reauth.has(i)) continue;
    if (startedAt[i]! > planned[i]!) {
      startedLate++;
      continue;
    }
    const at = refreshedAt.get(i);
    const lag = ((at ?? lastRead) - planned[i]!) / 1000;
    if (at === undefined) {
      censored++;
      censoredFrom = Math.min(censoredFrom, lag);
    }
    lags.push(lag);
    byTenth[Math.min(9, Math.floor((i * 10) / n))]!.push(lag);
  }
  const refreshTimes = [...refreshedAt.values()];
  const lastRefresh = refreshTimes.length ? Math.max(...refreshTimes) : windowStart;
  const achievedPerSecond =
    refreshTimes.filter((t) => t >= windowStart).length / Math.max(1, (lastRefresh - windowStart) / 1000);
  const stats = ((await retrying('dbStats', () => store.db.command({ dbStats: 1 })).catch((err: Error) => {
    log(`scale: ${err.message}`);
    return {};
  })) ?? {}) as Record<string, number | undefined>;
  const mib = (v: number | undefined) => (typeof v === 'number' ? round(v / 1024 / 1024, 2) : undefined);
  const result: ScalePhaseResult = {
    activeConnections: n,
    creationSeconds: round(creationSeconds, 2),
    creationPerSecond: round(n / creationSeconds, 1),
    windowSeconds: round(windowSeconds, 1),
    refreshesPerSecond: round(n / windowSeconds, 1),
    achievedPerSecond: round(achievedPerSecond, 1),
    windowCpuCores: windowCpu,
    ...(postgres ? { postgres } : {}),
    refreshed: refreshedAt.size,
    notRefreshed: n - refreshedAt.size - reauth.size,
    needsReauth: reauth.size,
    startedLate,
    lagSeconds: summarize(lags, 3),
    lagCensored: censored,
    lagCensoredFromSeconds: censored ? round(censoredFrom, 3) : null,
    lagP99ByWindowTenth: byTenth.map((l) => summarize(l, 2).p99),
    rssMiB: Object.fromEntries(
      Object.entries(rss).map(([k, v]) => [
        k,
        {
          firstMiB: round(v.firstMiB ?? NaN),
          lastMiB: round(v.lastMiB ?? NaN),
          peakMiB: round(v.peakMiB ?? NaN),
          cpuCores: v.cpuCores,
        },
      ]),
    ),
    mongo: {
      dataSizeMiB: mib(stats.dataSize),
      storageSizeMiB: mib(stats.storageSize),
      indexSizeMiB: mib(stats.indexSize),
      totalSizeMiB: mib(stats.totalSize),
      fileMiB: bench.pids.ferretdb
        ? round(filesMiB(join(bench.dataDir, 'ferretdb'), config.MONGODB_DATABASE) ?? NaN, 2)
        : undefined,
    },
    temporalDbFileMiB: bench.pids.temporal ? round(filesMiB(bench.dataDir, 'temporal.db') ?? NaN, 2) : undefined,
  };
  log(
    `scale: ${n}: ${result.refreshed} refreshed, ${result.notRefreshed} not, lag p50 ${result.lagSeconds.p50} s p99 ${result.lagSeconds.p99} s; ` +
      `worker RSS peak ${result.rssMiB.worker?.peakMiB} MiB`,
  );
  return result;
}

/**
 * Connections at SCALE_TYPE whose planned refreshes fall at `planned` (epoch ms each), created in
 * batches: tokens minted at the provider, documents as a completed flow leaves them, workflows started
 * with savedConnectionStartOptions. Returns their ids and when each workflow started.
 */
export async function createScaleConnections(
  bench: BenchStack,
  sizes: BenchSizes['scale'],
  planned: number[],
  timing: RefreshTiming,
): Promise<{ ids: string[]; startedAt: number[] }> {
  const { store, config } = bench;
  const provider = bench.stack.providers.get(SCALE_TYPE)!;
  const entry = bench.catalog.get(SCALE_TYPE)!;
  const { clientId } = bench.config.providerApps.get(SCALE_TYPE)!;
  const ttlMs = sizes.accessTokenTtlSeconds * 1000;
  const marginMs = sizes.marginSeconds * 1000;
  const n = planned.length;
  const ids: string[] = [];
  const startedAt: number[] = [];
  const BATCH = 250;
  for (let from = 0; from < n; from += BATCH) {
    const batch = planned.slice(from, from + BATCH);
    const made = await Promise.all(
      batch.map(async (plannedAt, j) => {
        const tokens = await mintTokens(provider, { clientId, accountId: `scale-user-${from + j}`, scope: 'read' });
        return connectionDocuments(bench, entry, tokens, new Date(plannedAt + marginMs - ttlMs), from + j);
      }),
    );
    await retrying('inserting connections', () => store.connections.insertMany(made.map((m) => m.connection)));
    await retrying('inserting oauth_requests', () => store.oauthRequests.insertMany(made.map((m) => m.request)));
    await inParallel(made, sizes.startConcurrency, async ({ connection }, k) => {
      await bench.temporal.workflow.start(
        connectionWorkflow,
        savedConnectionStartOptions(connection, timing, config.TEMPORAL_TASK_QUEUE),
      );
      startedAt[from + k] = Date.now();
    });
    ids.push(...made.map((m) => m.connection._id));
  }
  return { ids, startedAt };
}

/**
 * The documents a completed flow leaves, for tokens minted at the provider: the request as
 * createAuthorizationRequest and the exchange leave it, the connection as the exchange writes it
 * (authorizedConnection), adopted as PUT /api/connections marks it.
 */
function connectionDocuments(
  bench: BenchStack,
  entry: NonNullable<ReturnType<BenchStack['catalog']['get']>>,
  minted: Awaited<ReturnType<typeof mintTokens>>,
  issuedAt: Date,
  i: number,
): { connection: ConnectionDoc; request: OAuthRequestDoc } {
  const { keyRing } = bench;
  const connectionId = randomUUID();
  const { authorizationRequestId } = newPullId();
  const request: OAuthRequestDoc = {
    _id: authorizationRequestId,
    stateHash: secretHash(oauth.generateRandomState()),
    accountId: 'bench',
    connectionId,
    provider: SCALE_TYPE,
    status: 'completed',
    codeVerifier: keyRing.encrypt(Buffer.from(oauth.generateRandomCodeVerifier()), authorizationRequestId),
    redirectUrl: null,
    connectionName: `bench scale ${i}`,
    scopes: minted.scope.split(' '),
    expiresAt: new Date(issuedAt.getTime() + 600_000),
    error: null,
    createdAt: issuedAt,
    updatedAt: issuedAt,
  };
  const tokens = { ...minted } as unknown as TokenEndpointResponse;
  const { fields, firstFields } = authorizedConnection(request, tokens, entry, keyRing, issuedAt);
  const connection: ConnectionDoc = { _id: connectionId, ...fields, ...firstFields, adoptedAt: new Date() };
  return { connection, request };
}

/** Ends the workflows of the matching connections (terminate) and deletes their documents. */
export async function retireConnections(
  bench: BenchStack,
  filter: { provider?: string | { $in: string[] } },
): Promise<number> {
  const docs = await retrying('listing connections', () =>
    bench.store.connections.find(filter, { projection: { _id: 1 } }).toArray(),
  );
  await inParallel(
    docs,
    16,
    ({ _id }) =>
      bench.temporal.workflow
        .getHandle(connectionWorkflowId(_id))
        .terminate('bench: retired')
        .catch(() => undefined), // already closed
  );
  const ids = docs.map((d) => d._id);
  if (ids.length) {
    await retrying('deleting connections', () => bench.store.connections.deleteMany({ _id: { $in: ids } }));
    await retrying('deleting oauth_requests', () =>
      bench.store.oauthRequests.deleteMany({ connectionId: { $in: ids } }),
    );
  }
  return ids.length;
}
