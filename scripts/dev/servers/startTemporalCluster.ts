import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { startChild, untilReadyOrExit, type ManagedChild } from './childProcess.js';
import { freeLowPort, freePort } from './freePort.js';
import { waitFor } from './waitFor.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../../lib/temporal/names.js';

const { temporal } = proto;
const execFileAsync = promisify(execFile);

/** A PostgreSQL server reached over TCP without a password (trust auth), as on the dev machines and CI. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
}

export interface StartTemporalClusterOptions {
  serverBinary: string;
  sqlToolBinary: string;
  /** go.temporal.io/server's module directory (its schema/postgresql/v12 holds the schemas). */
  schemaModuleDir: string;
  postgres: PostgresServer;
  /** Databases `<prefix>` (history, matching, metadata) and `<prefix>_visibility`. */
  databasePrefix: string;
  /** Where the generated config and dynamic config live. */
  configDir: string;
  port: number;
  namespace?: string;
  /** The services run by each process: one list per process. */
  processes: string[][];
  /** Append server output here (one file per process, `<name>-<i>.log`); otherwise prefixed to the terminal. */
  logDir?: string;
  readyTimeoutMs?: number;
}

export interface RunningTemporalCluster {
  address: string;
  child: ManagedChild;
}

/**
 * Runs the Temporal server itself (frontend, history, matching, worker services) on PostgreSQL, as a
 * cluster runs it: sets up the schemas (idempotent), writes the server's config, starts the processes,
 * then registers the namespace and our search attributes through the operator API.
 */
export async function startTemporalCluster(opts: StartTemporalClusterOptions): Promise<RunningTemporalCluster> {
  const namespace = opts.namespace ?? 'default';
  const address = `127.0.0.1:${opts.port}`;
  const databases = { default: opts.databasePrefix, visibility: `${opts.databasePrefix}_visibility` };
  await setUpSchema(opts, databases.default, path.join(opts.schemaModuleDir, 'schema/postgresql/v12/temporal'));
  await setUpSchema(opts, databases.visibility, path.join(opts.schemaModuleDir, 'schema/postgresql/v12/visibility'));

  // The server reads `<root>/<config dir>/<env>.yaml`.
  const serverConfigDir = path.join(opts.configDir, 'temporal-server');
  fs.mkdirSync(serverConfigDir, { recursive: true });
  const configFile = path.join(serverConfigDir, 'connectflow.yaml');
  const dynamicConfigFile = path.join(opts.configDir, 'temporal-dynamic-config.yaml');
  fs.writeFileSync(dynamicConfigFile, dynamicConfigYaml());
  fs.writeFileSync(configFile, await serverConfigYaml(opts, databases, dynamicConfigFile));

  const children = opts.processes.map((services, i) =>
    startChild(
      `temporal-${services.join('+')}`,
      opts.serverBinary,
      [
        '--root',
        serverConfigDir,
        '--config',
        '.',
        '--env',
        'connectflow',
        '--allow-no-auth',
        'start',
        ...services.flatMap((s) => ['--service', s]),
      ],
      { logFile: opts.logDir ? path.join(opts.logDir, `temporal-${i}-${services.join('+')}.log`) : undefined },
    ),
  );
  const child = groupOf(children);
  try {
    await untilReadyOrExit(child, (signal) =>
      waitFor(
        `Temporal cluster at ${address} (namespace ${namespace}, search attributes)`,
        () => clusterReady(address, namespace),
        { timeoutMs: opts.readyTimeoutMs ?? 120_000, signal },
      ),
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { address, child };
}

/** Creates a PostgreSQL database unless it exists (the sql tool's create-database, used for FerretDB's too). */
export async function createDatabase(sqlToolBinary: string, postgres: PostgresServer, database: string): Promise<void> {
  await execFileAsync(sqlToolBinary, [...sqlToolArgs(postgres, database), 'create-database'], {
    timeout: 60_000,
  }).catch((err: { stderr?: string; message: string }) => {
    if (!/already exists/.test(`${err.stderr ?? ''} ${err.message}`)) throw err;
  });
}

function sqlToolArgs(postgres: PostgresServer, database: string): string[] {
  return [
    '--plugin',
    'postgres12',
    '--endpoint',
    postgres.host,
    '--port',
    String(postgres.port),
    '--user',
    postgres.user,
    '--db',
    database,
  ];
}

/** create-database, setup-schema -v 0.0 and update-schema, each skipped or harmless when already done. */
async function setUpSchema(opts: StartTemporalClusterOptions, database: string, schemaDir: string): Promise<void> {
  const run = (args: string[]) =>
    execFileAsync(opts.sqlToolBinary, [...sqlToolArgs(opts.postgres, database), ...args], { timeout: 120_000 });
  await createDatabase(opts.sqlToolBinary, opts.postgres, database);
  const versioned = await run(['update-schema', '--schema-dir', path.join(schemaDir, 'versioned')]).then(
    () => true,
    () => false, // no schema_version table yet
  );
  if (versioned) return;
  await run(['setup-schema', '-v', '0.0']);
  await run(['update-schema', '--schema-dir', path.join(schemaDir, 'versioned')]);
}

async function serverConfigYaml(
  opts: StartTemporalClusterOptions,
  databases: { default: string; visibility: string },
  dynamicConfigFile: string,
): Promise<string> {
  const sql = (database: string) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${opts.postgres.host}:${opts.postgres.port}"
        connectProtocol: tcp
        user: ${opts.postgres.user}
        password: ""
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h`;
  // Every service needs its own gRPC and membership port; only the frontend's is fixed.
  const rpc = async (grpcPort: number) => `
    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${await freeLowPort()}
      bindOnIP: 127.0.0.1`;
  const httpPort = await freePort();
  return `# Written by scripts/dev/servers/startTemporalCluster.ts at each start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${sql(databases.default)}
    visibility:${sql(databases.visibility)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${await rpc(opts.port)}
      httpPort: ${httpPort}
  history:${await rpc(await freePort())}
  matching:${await rpc(await freePort())}
  worker:${await rpc(await freePort())}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${opts.port}
      httpAddress: 127.0.0.1:${httpPort}
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
dynamicConfigClient:
  filepath: ${dynamicConfigFile}
  pollInterval: 10s
`;
}

/** Search attributes are registered before the workers start, so their cache can stay on (see startTemporal.ts). */
function dynamicConfigYaml(): string {
  return `system.forceSearchAttributesCacheRefreshOnRead:
  - value: false
frontend.enableUpdateWorkflowExecution:
  - value: true
`;
}

/** True once the frontend answers and the namespace and search attributes exist (registering them if not). */
async function clusterReady(address: string, namespace: string): Promise<boolean> {
  const connection = Connection.lazy({ address, connectTimeout: 2_000 });
  try {
    await connection.ensureConnected();
    const soon = () => Date.now() + 5_000;
    const exists = await connection
      .withDeadline(soon(), () => connection.workflowService.describeNamespace({ namespace }))
      .then(
        () => true,
        (err: { code?: number }) => {
          if (err.code === 5) return false; // NOT_FOUND
          throw err;
        },
      );
    if (!exists) {
      await connection.withDeadline(soon(), () =>
        connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('3 days'),
        }),
      );
      return false; // the frontend's namespace cache sees it a few seconds later
    }
    const { customAttributes } = await connection.withDeadline(soon(), () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !customAttributes?.[name]);
    if (missing.length === 0) return true;
    await connection.withDeadline(soon(), () =>
      connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map((n) => [n, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
        ),
      }),
    );
    return false;
  } finally {
    await connection.close();
  }
}

/** The processes as one child: exits when any exits, stops and kills them all. */
function groupOf(children: ManagedChild[]): ManagedChild {
  return {
    name: children.map((c) => c.name).join(','),
    pid: children[0]!.pid,
    exited: Promise.race(children.map((c) => c.exited)),
    stop: async (signal, graceMs) => {
      await Promise.all(children.map((c) => c.stop(signal, graceMs)));
    },
    kill9: async () => {
      await Promise.all(children.map((c) => c.kill9()));
    },
  };
}
