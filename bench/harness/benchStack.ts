import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import { generateKeySpec, parseKeyRing, type KeyRing } from '../../lib/crypto/keyRing.js';
import { loadCatalog, type ProviderCatalog } from '../../lib/providers/catalog.js';
import { createApiToken } from '../../lib/store/apiTokens.js';
import { openStore, type Store } from '../../lib/store/openStore.js';
import { connectTemporalClient } from '../../lib/temporal/connectTemporalClient.js';
import { createDemoProvider, type DemoProvider } from '../../scripts/dev/demoProvider/createDemoProvider.js';
import {
  createDemoResourceServer,
  type DemoResourceServer,
} from '../../scripts/dev/demoProvider/createDemoResourceServer.js';
import { startChild, type ManagedChild } from '../../scripts/dev/servers/childProcess.js';
import { freePort } from '../../scripts/dev/servers/freePort.js';
import { waitFor } from '../../scripts/dev/servers/waitFor.js';
import { startStack, type Engine, type Stack } from '../../scripts/dev/stack/startStack.js';
import { BARE_CONFIG_ENV, type BareConfig } from '../contenders/bareTemporal/config.js';
import { DIRECT_CONFIG_ENV, type DirectConfig } from '../contenders/direct/config.js';
import { unboundedOidcAdapter } from './oidcStorage.js';
import { serverPids } from './procStats.js';
import type { BenchSizes } from './sizes.js';
import { waitForPoller } from '../../scripts/dev/servers/waitForPoller.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export type ContenderName = 'direct' | 'bare-temporal' | 'connectflow';

/** One implementation of the three Rivery endpoints; the driver is the same for all. */
export interface Contender {
  name: ContenderName;
  baseUrl: string;
  apiToken: string;
  provider: string;
  /** does the callback exchange the code at the provider */
  exchangesCode: boolean;
  /** the demo provider (authorization server) this contender's flows sign in at */
  demoProvider: DemoProvider;
  wiring: string;
}

/** connection types of the stack's extra demo providers */
export const FLOW_TYPE = 'bench';
export const COALESCE_TYPE = 'bench_coalesce';
export const SCALE_TYPE = 'bench_scale';
/** the connection type whose API (a demo resource server) the proxy part calls */
export const PROXY_TYPE = 'bench_proxy';

export interface BenchStack {
  stack: Stack;
  engine: Engine;
  config: Config;
  keyRing: KeyRing;
  catalog: ProviderCatalog;
  store: Store;
  temporal: Client;
  contenders: Contender[];
  connectflow: Contender;
  /** the API of PROXY_TYPE's provider (its catalog entry's api_base_uri is `<url>/api`) */
  resource: DemoResourceServer;
  dataDir: string;
  /** processes whose memory the bench reads (Temporal and FerretDB only when the bench started them) */
  pids: {
    worker: number;
    /** workers beside the first, when restartWorker started more than one */
    otherWorkers?: number[];
    api: number;
    temporal?: number;
    /** the Temporal server's processes beside the frontend's (postgres) */
    temporalServices?: number[];
    ferretdb?: number;
    /** the machine's PostgreSQL (postgres) */
    postgres?: number;
    direct: number;
    bareApp: number;
    bareWorker: number;
  };
  /** the bare-Temporal contender's task queue (its worker polls it) */
  bareTaskQueue: string;
  /** what the API and worker run with, secrets left out */
  publicEnv: Record<string, string>;
  /**
   * `count` fresh connectflow workers (default 1) in place of the running ones (pids.worker follows
   * the first), with `env` over the stack's environment
   */
  restartWorker(count?: number, env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  dataDir: string;
  sizes: BenchSizes;
  /** reuse running servers (the smoke test reuses the suite's Temporal and FerretDB) */
  servers?: { temporalAddress: string; mongoUri: string };
  /** names that keep a reused server's other data apart */
  taskQueue?: string;
  database?: string;
  /** profile the API's and the worker's main threads (profiles land in dataDir/cpu-prof) */
  cpuProf?: boolean;
  /** the servers connectflow runs on (startStack's engine; default `$CONNECTFLOW_ENGINE`, else sqlite) */
  engine?: Engine;
  /** keep the data (the data dir, and on postgres its databases) after stop */
  keepData?: boolean;
  log: (line: string) => void;
}

/**
 * Everything the bench measures, on one Temporal and one MongoDB: connectflow as shipped (startStack:
 * Temporal dev server, FerretDB, demo providers, worker, API), and beside it the direct and the
 * bare-Temporal contenders, each in its own processes with its own oidc-provider instance.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const { sizes, log } = options;
  const dataDir = resolve(options.dataDir);
  const database = options.database ?? 'connectflow';
  const taskQueue = options.taskQueue ?? 'connectflow';
  const keys = generateKeySpec('bench1');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    CONNECTFLOW_ENCRYPTION_KEYS: keys,
    LOG_LEVEL: 'warn',
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGODB_DATABASE: database,
    CONNECTFLOW_REFRESH_MARGIN_SECONDS: String(sizes.scale.marginSeconds),
    // Planned refreshes are staggered by the bench itself; without jitter, lag = actual − planned.
    CONNECTFLOW_REFRESH_JITTER_SECONDS: '0',
    // The bench paces refreshes itself (every cycle, staggered): neither floor nor throttle may interfere.
    CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '1',
    CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '10000',
    CONNECTFLOW_AUDIT_INTERVAL_SECONDS: '86400',
    // Every simulated end user comes from 127.0.0.1: the per-IP callback limit would measure itself.
    CONNECTFLOW_CALLBACK_RATE_LIMIT: '1000000',
  };
  if (options.cpuProf) {
    env.NODE_OPTIONS = `--import ${new URL('./cpuProfilePreload.mjs', import.meta.url).href}`;
    env.BENCH_CPU_PROF_DIR = join(dataDir, 'cpu-prof');
  }

  const saved = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, MONGODB_URI: process.env.MONGODB_URI };
  if (options.servers) {
    process.env.TEMPORAL_ADDRESS = options.servers.temporalAddress;
    process.env.MONGODB_URI = options.servers.mongoUri;
  } else {
    delete process.env.TEMPORAL_ADDRESS;
    delete process.env.MONGODB_URI;
  }
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const s of stoppers.reverse()) await s().catch((err: unknown) => log(`stop: ${(err as Error).message}`));
  };
  let stack: Stack | undefined;
  // The proxy part's resource server first (its URL goes into the catalog); it asks PROXY_TYPE's
  // provider, started by the stack, about tokens. Active verdicts are kept a minute: the part measures
  // the proxy, not the introspection round trip.
  const resource = await createDemoResourceServer({
    introspect: (token) => stack!.providers.get(PROXY_TYPE)!.introspect(token),
    introspectionCacheMs: 60_000,
  });
  stoppers.push(() => resource.close());
  try {
    stack = await startStack({
      dataDir,
      ports: 'free',
      logsToFiles: true,
      env,
      engine: options.engine,
      dropDatabasesOnStop: !options.keepData,
      extraProviders: [
        { id: FLOW_TYPE, options: { adapter: unboundedOidcAdapter() } },
        { id: COALESCE_TYPE, options: { adapter: unboundedOidcAdapter() } },
        {
          id: SCALE_TYPE,
          options: { accessTokenTtlSeconds: sizes.scale.accessTokenTtlSeconds, adapter: unboundedOidcAdapter() },
        },
        {
          id: PROXY_TYPE,
          options: { adapter: unboundedOidcAdapter() },
          catalog: { api_base_uri: `${resource.url}/api` },
        },
      ],
      log,
    });
  } catch (err) {
    await stopAll();
    throw err;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const started = stack;
  stoppers.push(() => started.stop());
  try {
    const config = loadConfig(stack.appEnv);
    const keyRing = parseKeyRing(keys);
    const store = await openStore(config);
    stoppers.push(() => store.close());
    const temporal = await connectTemporalClient(config, keyRing);
    stoppers.push(() => temporal.connection.close());
    const created = (await createApiToken(store, {
      accountId: 'bench',
      scopes: ['connection:read', 'connection:edit'],
      name: 'bench',
    })) as unknown as string | { token: string };
    const connectflow: Contender = {
      name: 'connectflow',
      baseUrl: stack.apiUrl,
      apiToken: typeof created === 'string' ? created : created.token,
      provider: FLOW_TYPE,
      exchangesCode: true,
      demoProvider: stack.providers.get(FLOW_TYPE)!,
      wiring:
        'connectflow as shipped (startStack: API + worker processes, payload codec, API-token lookup in MongoDB); ' +
        `connection type "${FLOW_TYPE}" = a demo oidc-provider registered by startStack with redirect ${stack.apiUrl}/oauth2/callback; ` +
        'the callback delivers an update, the worker exchanges the code at the provider and stores the tokens',
    };

    const apiToken = `bench_${randomBytes(24).toString('base64url')}`;
    const childEnv = (name: string, value: unknown) => ({
      ...process.env,
      NODE_ENV: 'test',
      [name]: JSON.stringify(value),
    });
    const spawnTsx = (name: string, entry: string, childEnvVars: NodeJS.ProcessEnv): ManagedChild => {
      const child = startChild(name, process.execPath, ['--import', 'tsx', join(repoRoot, entry)], {
        env: childEnvVars,
        cwd: repoRoot,
        logFile: join(dataDir, 'logs', `${name}.log`),
      });
      stoppers.push(() => child.stop());
      return child;
    };
    const providerFor = async (clientId: string, redirectUri: string) => {
      const clientSecret = randomBytes(24).toString('base64url');
      const provider = await createDemoProvider({
        clients: [{ clientId, clientSecret, redirectUris: [redirectUri] }],
        adapter: unboundedOidcAdapter(),
      });
      stoppers.push(() => provider.close());
      return { provider, clientSecret };
    };

    // direct: Fastify + oauth4webapi + MongoDB, one process
    const directPort = await freePort();
    const directUrl = `http://127.0.0.1:${directPort}`;
    const directProvider = await providerFor('bench-direct', `${directUrl}/oauth2/callback`);
    const directConfig: DirectConfig = {
      port: directPort,
      mongoUri: stack.mongoUri,
      database: `${database}_direct`,
      apiToken,
      issuer: directProvider.provider.issuer,
      clientId: 'bench-direct',
      clientSecret: directProvider.clientSecret,
      redirectUri: `${directUrl}/oauth2/callback`,
      encryptionKeys: keys,
    };
    const direct = spawnTsx(
      'bench-direct',
      'bench/contenders/direct/main.ts',
      childEnv(DIRECT_CONFIG_ENV, directConfig),
    );

    // bare Temporal: Fastify app + worker on its own task queue, two processes (as connectflow's API and worker)
    const barePort = await freePort();
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const bareProvider = await providerFor('bench-bare', `${bareUrl}/oauth2/callback`);
    const bareConfig: BareConfig = {
      port: barePort,
      temporalAddress: stack.temporalAddress,
      namespace: stack.temporalNamespace,
      taskQueue: `${taskQueue}-bare`,
      apiToken,
      issuer: bareProvider.provider.issuer,
      clientId: 'bench-bare',
      redirectUri: `${bareUrl}/oauth2/callback`,
      maxCachedWorkflows: loadConfig(stack.appEnv).CONNECTFLOW_WORKER_MAX_CACHED_WORKFLOWS,
    };
    const bareWorker = spawnTsx(
      'bench-bare-worker',
      'bench/contenders/bareTemporal/workerMain.ts',
      childEnv(BARE_CONFIG_ENV, bareConfig),
    );
    const bareApp = spawnTsx(
      'bench-bare-app',
      'bench/contenders/bareTemporal/appMain.ts',
      childEnv(BARE_CONFIG_ENV, bareConfig),
    );

    const healthy = (what: string, url: string, child: ManagedChild) =>
      Promise.race([
        waitFor(what, async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, {
          timeoutMs: 60_000,
          intervalMs: 100,
        }),
        child.exited.then((code) => {
          throw new Error(`${what} exited (code ${code}); see ${dataDir}/logs`);
        }),
      ]);
    await Promise.all([
      healthy('the direct contender', directUrl, direct),
      healthy('the bare-Temporal app', bareUrl, bareApp),
      Promise.race([
        waitForPoller(stack.temporalAddress, stack.temporalNamespace, bareConfig.taskQueue),
        bareWorker.exited.then((code) => {
          throw new Error(`the bare-Temporal worker exited (code ${code}); see ${dataDir}/logs`);
        }),
      ]),
    ]);

    const contenders: Contender[] = [
      {
        name: 'direct',
        baseUrl: directUrl,
        apiToken,
        provider: 'demo',
        exchangesCode: true,
        demoProvider: directProvider.provider,
        wiring:
          'bench/contenders/direct: one Fastify process, no Temporal; state + PKCE verifier in a MongoDB collection, oauth4webapi ' +
          "exchanges the code at its own oidc-provider instance (same options as connectflow's, client bench-direct, " +
          `redirect ${directUrl}/oauth2/callback), tokens stored AES-GCM encrypted; fixed Bearer token compared in memory`,
      },
      {
        name: 'bare-temporal',
        baseUrl: bareUrl,
        apiToken,
        provider: 'demo',
        exchangesCode: false,
        demoProvider: bareProvider.provider,
        wiring:
          'bench/contenders/bareTemporal: Fastify app + worker processes on task queue ' +
          `${bareConfig.taskQueue}; update-with-start -> no-op authorize activity -> callback update -> no-op exchange ` +
          'activity (NO provider call, no MongoDB, no codec); the driver still signs in at its own oidc-provider instance ' +
          `(client bench-bare, redirect ${bareUrl}/oauth2/callback); credentials = the workflow's close event`,
      },
      connectflow,
    ];

    const pids: BenchStack['pids'] = {
      worker: stack.worker.pid,
      api: stack.api.pid,
      ...(options.servers ? {} : serverPids(dataDir)),
      direct: direct.pid,
      bareApp: bareApp.pid,
      bareWorker: bareWorker.pid,
    };
    const publicEnv = Object.fromEntries(
      Object.entries(env).filter(
        ([k]) => !k.includes('KEYS') && !k.includes('SECRET') && k !== 'NODE_OPTIONS' && !k.startsWith('BENCH_'),
      ),
    );
    let workers = [stack.worker];
    let restarts = 0;
    const restartWorker = async (count = 1, workerEnv: Record<string, string> = {}) => {
      for (const w of workers) await w.stop();
      workers = Array.from({ length: count }, () =>
        stack.startWorker(`worker-${++restarts}`, { ...stack.appEnv, ...workerEnv }),
      );
      pids.worker = workers[0]!.pid;
      pids.otherWorkers = workers.slice(1).map((w) => w.pid);
      await Promise.all(
        workers.map((worker) =>
          Promise.race([
            waitForPoller(stack.temporalAddress, stack.temporalNamespace, config.TEMPORAL_TASK_QUEUE, `${worker.pid}@`),
            worker.exited.then((code) => {
              throw new Error(`the restarted worker exited (code ${code}); see ${dataDir}/logs`);
            }),
          ]),
        ),
      );
    };
    return {
      stack,
      engine: stack.engine,
      config,
      keyRing,
      catalog: (await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR)).catalog,
      store,
      temporal,
      contenders,
      connectflow,
      resource,
      dataDir,
      pids,
      bareTaskQueue: bareConfig.taskQueue,
      publicEnv,
      restartWorker,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
