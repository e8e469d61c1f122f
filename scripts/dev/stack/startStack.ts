import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { createDemoProvider, type DemoProvider, type DemoProviderOptions } from '../demoProvider/createDemoProvider.js';
import { ensureTools, temporalServerModuleDir } from '../servers/buildTools.js';
import { startChild, type ManagedChild } from '../servers/childProcess.js';
import { freePort } from '../servers/freePort.js';
import { startFerretDb } from '../servers/startFerretDb.js';
import { startTemporal } from '../servers/startTemporal.js';
import { startTemporalUi } from '../servers/startTemporalUi.js';
import {
  createDatabase,
  dataDirDatabases,
  dropDatabases,
  dropDatabasesOfMissingDataDirs,
  type PostgresServer,
} from '../servers/postgresDatabases.js';
import { startTemporalCluster } from '../servers/startTemporalCluster.js';
import { waitFor } from '../servers/waitFor.js';
import { waitForPoller } from '../servers/waitForPoller.js';
import { buildInChild } from './buildInChild.js';
import { SERVICE_NODE_FLAGS, type ServiceName } from './serviceNodeFlags.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../../lib/temporal/names.js';
import { providerEnvPrefix } from '../../../lib/config.js';
import { CatalogFileSchema } from '../../../lib/providers/catalogFileSchema.js';
import type { z } from 'zod';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface StackOptions {
  /** Where Temporal's SQLite file, FerretDB's files and logs live. */
  dataDir: string;
  /** Fixed ports (npm start) or free ones (tests, bench). */
  ports: { api: number; temporal: number; temporalUi: number; mongo: number; provider: number } | 'free';
  /** Child output: to files under dataDir/logs (tests) or to this terminal, prefixed (npm start). */
  logsToFiles: boolean;
  /** Extra environment for the API and worker processes. */
  env?: NodeJS.ProcessEnv;
  /**
   * More demo providers besides `demo`, each its own connection type (tests configure them to behave
   * like a given provider: short-lived tokens, no rotation, no expires_in, ...).
   */
  extraProviders?: ExtraDemoProvider[];
  log?: (line: string) => void;
  /**
   * `sqlite` (default): Temporal's dev server and FerretDB on SQLite files in dataDir. `postgres`: the
   * Temporal server's own services and FerretDB on the local PostgreSQL, the production shape.
   * Default: `$CONNECTFLOW_ENGINE`.
   */
  engine?: Engine;
  /**
   * The data dir is thrown away after stop (tests, bench): on postgres, stop() drops its databases too.
   * Whatever this says, a postgres stack drops the databases of data dirs that no longer exist.
   */
  dropDatabasesOnStop?: boolean;
}

export type Engine = 'sqlite' | 'postgres';

/** `$CONNECTFLOW_ENGINE`, checked. */
export function engineFromEnv(): Engine {
  const value = process.env.CONNECTFLOW_ENGINE ?? 'sqlite';
  if (value !== 'sqlite' && value !== 'postgres')
    throw new Error(`CONNECTFLOW_ENGINE must be sqlite or postgres, not ${value}`);
  return value;
}

/** The PostgreSQL the postgres engine uses: libpq's PGHOST / PGPORT / PGUSER, default 127.0.0.1:5432 as postgres. */
export function postgresFromEnv(): PostgresServer {
  return {
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    user: process.env.PGUSER ?? 'postgres',
  };
}

/**
 * Temporal's processes on the postgres engine: one per service, as a cluster runs them (the worker
 * service, which runs Temporal's own system workflows, shares the frontend's).
 */
const TEMPORAL_PROCESSES = [['frontend', 'worker'], ['history'], ['matching']];

export interface ExtraDemoProvider {
  id: string;
  options: Omit<DemoProviderOptions, 'clients' | 'port'>;
  /** catalog-file fields for this connection type (e.g. `refresh: { refresh_token_lifetime_seconds: 20 }`) */
  catalog?: Partial<z.input<typeof CatalogFileSchema>>;
}

export interface Stack {
  engine: Engine;
  apiUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiUrl: string | null;
  mongoUri: string;
  provider: DemoProvider;
  /** every demo provider by connection type, `demo` included */
  providers: Map<string, DemoProvider>;
  /** The environment the API and worker run with (tests reuse it to build clients). */
  appEnv: NodeJS.ProcessEnv;
  api: ManagedChild;
  worker: ManagedChild;
  /** the first worker's GET /metrics (connectflow's) and the Temporal SDK's metrics of it */
  workerMetricsUrl: string;
  workerTemporalMetricsUrl: string;
  /** One more worker process, with `env` in place of the stack's environment when given. */
  startWorker(name?: string, env?: NodeJS.ProcessEnv): ManagedChild;
  /** Resolves once that worker process polls the task queue for both workflow and activity tasks. */
  workerPolling(worker: ManagedChild): Promise<void>;
  startApi(name: string): Promise<{ child: ManagedChild; url: string }>;
  temporal: { stop(): Promise<void>; start(): Promise<void> };
  mongo: { stop(): Promise<void>; start(): Promise<void> };
  stop(): Promise<void>;
}

/**
 * Brings up everything connectflow needs on this machine: Temporal dev server and FerretDB (built
 * once from pinned Go modules) unless TEMPORAL_ADDRESS / MONGODB_URI name external servers, the
 * demo OAuth2 provider, the worker and the API (as `npm run build` makes them from the current
 * sources, the build running while the servers start). Used by `npm start`, the test suite and the bench.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const logFile = (name: string) => (options.logsToFiles ? join(dataDir, 'logs', `${name}.log`) : undefined);
  const port = async (key: keyof Exclude<StackOptions['ports'], 'free'>) =>
    options.ports === 'free' ? freePort() : options.ports[key];

  const externalTemporal = process.env.TEMPORAL_ADDRESS;
  const externalMongo = process.env.MONGODB_URI;
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const built = buildInChild(repoRoot);
  built.catch(() => undefined); // awaited before the services start
  const engine = options.engine ?? engineFromEnv();
  const onPostgres = engine === 'postgres';
  const tools = await ensureTools(
    {
      temporal: !externalTemporal && !onPostgres,
      // the server's SQL tool also creates and drops FerretDB's database
      temporalServer: onPostgres && !(externalTemporal && externalMongo),
      ferretdb: !externalMongo,
    },
    log,
  );
  const postgres = postgresFromEnv();
  const databases = dataDirDatabases(dataDir);
  const schemaModuleDir = onPostgres && !externalTemporal ? await temporalServerModuleDir() : '';
  const ourDatabases = [
    ...(externalTemporal ? [] : [databases.temporal, databases.temporalVisibility]),
    ...(externalMongo ? [] : [databases.ferretDb]),
  ];
  if (onPostgres && ourDatabases.length) {
    // A convenience: a stack whose sweep failed runs all the same.
    await dropDatabasesOfMissingDataDirs(tools.temporalSqlTool!, postgres).then(
      (dropped) =>
        dropped.length && log(`dropped PostgreSQL databases of data dirs that are gone: ${dropped.join(', ')}`),
      (err: unknown) => log(`could not drop the databases of data dirs that are gone: ${(err as Error).message}`),
    );
    if (!externalMongo) await createDatabase(tools.temporalSqlTool!, postgres, databases.ferretDb, dataDir);
  }
  const apiPort = await port('api');
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of [...stoppers].reverse()) await s().catch((err: unknown) => log(`stop: ${(err as Error).message}`));
  };
  // The first stopper runs last, once every server is down.
  if (onPostgres && options.dropDatabasesOnStop && ourDatabases.length)
    stoppers.push(() => dropDatabases(tools.temporalSqlTool!, postgres, ourDatabases));
  try {
    const temporalPorts = externalTemporal ? undefined : { port: await port('temporal'), ui: await port('temporalUi') };
    const mongoPort = externalMongo ? undefined : await port('mongo');
    const launchTemporal = async (): Promise<{ address: string; uiUrl: string | null; child: ManagedChild }> => {
      if (onPostgres) {
        log(
          `starting Temporal server (${TEMPORAL_PROCESSES.map((p) => p.join('+')).join(', ')}) on PostgreSQL, frontend 127.0.0.1:${temporalPorts!.port}...`,
        );
        const cluster = await startTemporalCluster({
          serverBinary: tools.temporalServer!,
          sqlToolBinary: tools.temporalSqlTool!,
          schemaModuleDir,
          postgres,
          databases: { default: databases.temporal, visibility: databases.temporalVisibility },
          dataDir,
          configDir: dataDir,
          port: temporalPorts!.port,
          namespace,
          processes: TEMPORAL_PROCESSES,
          logDir: options.logsToFiles ? join(dataDir, 'logs') : undefined,
        });
        const ui = await startTemporalUi({
          binary: tools.temporalUi!,
          temporalAddress: cluster.address,
          configDir: join(dataDir, 'temporal-ui'),
          port: temporalPorts!.ui,
          namespace,
          codecEndpoint: `${apiUrl}/codec`,
          logFile: logFile('temporal-ui'),
        }).catch(async (err: unknown) => {
          await cluster.child.stop();
          throw err;
        });
        const both = [cluster.child, ui.child];
        const child: ManagedChild = {
          name: 'temporal',
          pid: cluster.child.pid,
          exited: Promise.race(both.map((c) => c.exited)),
          stop: async (signal, graceMs) => void (await Promise.all(both.map((c) => c.stop(signal, graceMs)))),
          kill9: async () => void (await Promise.all(both.map((c) => c.kill9()))),
        };
        return { address: cluster.address, uiUrl: ui.uiUrl, child };
      }
      log(`starting Temporal dev server on 127.0.0.1:${temporalPorts!.port} (UI ${temporalPorts!.ui})...`);
      return startTemporal({
        binary: tools.temporal!,
        dbFile: join(dataDir, 'temporal.db'),
        port: temporalPorts!.port,
        uiPort: temporalPorts!.ui,
        namespace,
        logFile: logFile('temporal'),
        uiCodecEndpoint: `${apiUrl}/codec`,
      });
    };
    const launchMongo = () => {
      log(
        `starting FerretDB on 127.0.0.1:${mongoPort}${onPostgres ? ` (PostgreSQL database ${databases.ferretDb})` : ''}...`,
      );
      return startFerretDb({
        binary: tools.ferretdb!,
        ...(onPostgres
          ? { postgresUrl: `postgres://${postgres.user}@${postgres.host}:${postgres.port}/${databases.ferretDb}` }
          : {}),
        dataDir: join(dataDir, 'ferretdb'),
        port: mongoPort!,
        logFile: logFile('ferretdb'),
      });
    };
    // Both settle before either failure is thrown, so the one that did start is stopped too.
    const [temporalLaunch, mongoLaunch] = await Promise.allSettled([
      externalTemporal
        ? Promise.resolve({ address: externalTemporal, uiUrl: null as string | null, child: undefined })
        : launchTemporal(),
      externalMongo ? Promise.resolve({ uri: externalMongo, child: undefined }) : launchMongo(),
    ]);
    let temporalChild: ManagedChild | undefined =
      temporalLaunch.status === 'fulfilled' ? temporalLaunch.value.child : undefined;
    let mongoChild: ManagedChild | undefined = mongoLaunch.status === 'fulfilled' ? mongoLaunch.value.child : undefined;
    stoppers.push(async () => temporalChild?.stop());
    stoppers.push(async () => mongoChild?.stop());
    if (temporalLaunch.status === 'rejected') throw temporalLaunch.reason;
    if (mongoLaunch.status === 'rejected') throw mongoLaunch.reason;
    const temporalServer = temporalLaunch.value;
    const mongo = mongoLaunch.value;
    /** Stop / start a locally run server on the same port and data (fault-tolerance tests). */
    const temporalControl = {
      stop: async () => temporalChild?.stop(),
      start: async () => {
        temporalChild = (await launchTemporal()).child;
      },
    };
    const mongoControl = {
      stop: async () => mongoChild?.stop(),
      start: async () => {
        mongoChild = (await launchMongo()).child;
      },
    };
    if (externalTemporal) await ensureSearchAttributes(externalTemporal, namespace);

    const providers = new Map<string, DemoProvider>();
    const providerEnv: NodeJS.ProcessEnv = {};
    const extraCatalog: Record<string, unknown>[] = [];
    for (const spec of [{ id: 'demo', options: {} } as ExtraDemoProvider, ...(options.extraProviders ?? [])]) {
      const clientId = `connectflow-${spec.id}`;
      const clientSecret = randomBytes(24).toString('base64url');
      const provider = await createDemoProvider({
        ...spec.options,
        port: spec.id === 'demo' ? await port('provider') : 0,
        clients: [{ clientId, clientSecret, redirectUris: [`${apiUrl}/oauth2/callback`] }],
      });
      stoppers.push(() => provider.close());
      providers.set(spec.id, provider);
      const prefix = providerEnvPrefix(spec.id);
      providerEnv[`${prefix}_CLIENT_ID`] = clientId;
      providerEnv[`${prefix}_CLIENT_SECRET`] = clientSecret;
      if (spec.id === 'demo') providerEnv.CONNECTFLOW_PROVIDER_DEMO_ISSUER = provider.issuer;
      else {
        extraCatalog.push({
          id: spec.id,
          name: `Demo provider (${spec.id})`,
          categories: ['developer-tools'],
          docs_url: 'https://github.com/panva/node-oidc-provider',
          issuer: provider.issuer,
          default_scopes: ['read'],
          api_base_uri: provider.issuer,
          ...spec.catalog,
        });
      }
    }
    const provider = providers.get('demo')!;
    if (extraCatalog.length) providerEnv.CONNECTFLOW_EXTRA_PROVIDERS = JSON.stringify(extraCatalog);

    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: namespace,
      MONGODB_URI: mongo.uri,
      PUBLIC_BASE_URL: apiUrl,
      PORT: String(apiPort),
      ...(temporalServer.uiUrl ? { CONNECTFLOW_TEMPORAL_UI_ORIGIN: temporalServer.uiUrl } : {}),
      CONNECTFLOW_DATA_DIR: process.env.CONNECTFLOW_DATA_DIR ?? dataDir,
      ...providerEnv,
      ...options.env,
    };
    await built;
    const service = (name: string, entry: ServiceName, env: NodeJS.ProcessEnv = appEnv) =>
      startChild(name, process.execPath, [...SERVICE_NODE_FLAGS[entry], join(repoRoot, '.build', `${entry}.js`)], {
        env,
        cwd: repoRoot,
        logFile: logFile(name),
      });
    const startWorker = (name = 'worker', env: NodeJS.ProcessEnv = appEnv) => {
      const child = service(name, 'worker', env);
      stoppers.push(() => child.stop());
      return child;
    };
    /** One more API process (another replica) on a free port, sharing everything else. */
    const startApi = async (name: string) => {
      const extraPort = await freePort();
      const child = service(name, 'api', { ...appEnv, PORT: String(extraPort) });
      stoppers.push(() => child.stop());
      const url = `http://127.0.0.1:${extraPort}`;
      await waitFor(`the API ${name}`, async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, {
        timeoutMs: 60_000,
      });
      return { child, url };
    };

    const workerPolling = async (worker: ManagedChild) => {
      // The SDK's default worker identity is `<pid>@<host>`.
      const queue = appEnv.TEMPORAL_TASK_QUEUE ?? 'connectflow';
      await waitForPoller(temporalServer.address, namespace, queue, `${worker.pid}@`, 'workflow');
      await waitForPoller(temporalServer.address, namespace, queue, `${worker.pid}@`, 'activity');
    };

    log('starting worker and API...');
    // Metrics ports for the first worker only: more workers (startWorker) would collide on them.
    const workerMetricsPort = await freePort();
    const workerTemporalMetricsPort = await freePort();
    const worker = startWorker('worker', {
      ...appEnv,
      CONNECTFLOW_WORKER_METRICS_PORT: String(workerMetricsPort),
      CONNECTFLOW_WORKER_TEMPORAL_METRICS_PORT: String(workerTemporalMetricsPort),
    });
    const api = service('api', 'api');
    stoppers.push(() => api.stop());
    await Promise.all([
      waitFor('the API', async () => (await fetch(`${apiUrl}/healthz`).catch(() => undefined))?.ok, {
        timeoutMs: 60_000,
      }),
      workerPolling(worker),
    ]);
    return {
      engine,
      apiUrl,
      temporalAddress: temporalServer.address,
      temporalNamespace: namespace,
      temporalUiUrl: temporalServer.uiUrl,
      mongoUri: mongo.uri,
      provider,
      providers,
      appEnv,
      api,
      worker,
      workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
      workerTemporalMetricsUrl: `http://127.0.0.1:${workerTemporalMetricsPort}/metrics`,
      startWorker: (name?: string, env?: NodeJS.ProcessEnv) => startWorker(name, env),
      workerPolling,
      startApi,
      temporal: temporalControl,
      mongo: mongoControl,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** On an external Temporal, registers our search attributes if they are missing. */
async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((n) => !customAttributes?.[n]);
    if (missing.length === 0) return;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((n) => [n, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
  } finally {
    await connection.close();
  }
}
