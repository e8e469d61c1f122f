import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { startChild, untilReadyOrExit, type ManagedChild } from './childProcess.js';
import { freeLowPort, freePort, isPortFree } from './freePort.js';
import { createDatabase, runSqlTool, type PostgresServer } from './postgresDatabases.js';
import { waitFor } from './waitFor.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../../lib/temporal/names.js';

const { temporal } = proto;

export interface StartTemporalClusterOptions {
  serverBinary: string;
  sqlToolBinary: string;
  /** go.temporal.io/server's module directory (its schema/postgresql/v12 holds the schemas). */
  schemaModuleDir: string;
  postgres: PostgresServer;
  /** Its databases: `default` (history, matching, metadata) and `visibility`. */
  databases: { default: string; visibility: string };
  /** The data dir the databases belong to (their label, see postgresDatabases.ts). */
  dataDir: string;
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
  const databases = opts.databases;
  await setUpSchema(opts, databases.default, path.join(opts.schemaModuleDir, 'schema/postgresql/v12/temporal'));
  await setUpSchema(opts, databases.visibility, path.join(opts.schemaModuleDir, 'schema/postgresql/v12/visibility'));

  // The server reads `<root>/<config dir>/<env>.yaml`.
  const serverConfigDir = path.join(opts.configDir, 'temporal-server');
  fs.mkdirSync(serverConfigDir, { recursive: true });
  const configFile = path.join(serverConfigDir, 'connectflow.yaml');
  const dynamicConfigFile = path.join(opts.configDir, 'temporal-dynamic-config.yaml');
  fs.writeFileSync(dynamicConfigFile, dynamicConfigYaml());
  const ports = await servicePorts(path.join(serverConfigDir, 'ports.json'));
  fs.writeFileSync(configFile, serverConfigYaml(opts, databases, dynamicConfigFile, ports));

  const start = (services: string[], i: number) =>
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
    );
  // Every process writes the cluster's metadata as it starts, and on a fresh database all but one such
  // insert fail (duplicate key) and end their process: the frontend's goes first, the rest once it listens.
  const first = Math.max(
    0,
    opts.processes.findIndex((services) => services.includes('frontend')),
  );
  const children = [start(opts.processes[first]!, first)];
  try {
    await untilReadyOrExit(children[0]!, (signal) =>
      waitFor(`the Temporal frontend to listen on ${address}`, () => listening(opts.port), {
        timeoutMs: opts.readyTimeoutMs ?? 120_000,
        signal,
      }),
    );
  } catch (err) {
    await children[0]!.stop();
    throw err;
  }
  children.push(...opts.processes.flatMap((services, i) => (i === first ? [] : [start(services, i)])));
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

/** create-database, setup-schema -v 0.0 and update-schema, each skipped or harmless when already done. */
async function setUpSchema(opts: StartTemporalClusterOptions, database: string, schemaDir: string): Promise<void> {
  const run = (args: string[]) => runSqlTool(opts.sqlToolBinary, opts.postgres, database, args);
  await createDatabase(opts.sqlToolBinary, opts.postgres, database, opts.dataDir);
  const versioned = await run(['update-schema', '--schema-dir', path.join(schemaDir, 'versioned')]).then(
    () => true,
    () => false, // no schema_version table yet
  );
  if (versioned) return;
  await run(['setup-schema', '-v', '0.0']);
  await run(['update-schema', '--schema-dir', path.join(schemaDir, 'versioned')]);
}

/** The ports of the services besides the frontend's gRPC port (membership ports below 32768: stored as smallint). */
interface ServicePorts {
  frontendHttp: number;
  frontendMembership: number;
  history: { grpc: number; membership: number };
  matching: { grpc: number; membership: number };
  worker: { grpc: number; membership: number };
}

/**
 * The ports of the last start in this config dir where they are still free, new ones otherwise. A
 * restarted service must come back on its old membership address: for 20 s the others still take the
 * address a dead member heartbeat from for a live one, and services that join only dead addresses form
 * rings of their own ("Not enough hosts to serve the request") or give up.
 */
async function servicePorts(file: string): Promise<ServicePorts> {
  let last: Partial<ServicePorts> = {};
  try {
    last = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ServicePorts>;
  } catch {
    // first start here
  }
  const reuse = async (port: number | undefined, pick: () => Promise<number>) =>
    port !== undefined && port < 32_768 && (await isPortFree(port)) ? port : pick();
  const service = async (was: { grpc: number; membership: number } | undefined) => ({
    grpc: await reuse(was?.grpc, freePort),
    membership: await reuse(was?.membership, freeLowPort),
  });
  const ports: ServicePorts = {
    frontendHttp: await reuse(last.frontendHttp, freePort),
    frontendMembership: await reuse(last.frontendMembership, freeLowPort),
    history: await service(last.history),
    matching: await service(last.matching),
    worker: await service(last.worker),
  };
  fs.writeFileSync(file, JSON.stringify(ports, null, 2) + '\n');
  return ports;
}

function serverConfigYaml(
  opts: StartTemporalClusterOptions,
  databases: { default: string; visibility: string },
  dynamicConfigFile: string,
  ports: ServicePorts,
): string {
  // Small pools: every local stack (a test run starts two) shares the machine's PostgreSQL and its
  // max_connections (100 by default); with 20 per pool two clusters held 70 connections idle. The
  // default store keeps its connections open: with 2 idle, the history service opened a new
  // PostgreSQL session for nearly every refresh (23.8 a second at 24 refreshes/s), each a forked backend.
  const sql = (database: string, maxIdleConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${opts.postgres.host}:${opts.postgres.port}"
        connectProtocol: tcp
        user: ${opts.postgres.user}
        password: ""
        maxConns: 10
        maxIdleConns: ${maxIdleConns}
        maxConnLifetime: 1h`;
  // Every service needs its own gRPC and membership port.
  const rpc = (grpcPort: number, membershipPort: number) => `
    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${membershipPort}
      bindOnIP: 127.0.0.1`;
  const httpPort = ports.frontendHttp;
  return `# Written by scripts/dev/servers/startTemporalCluster.ts at each start.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:${sql(databases.default, 10)}
    visibility:${sql(databases.visibility, 2)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:${rpc(opts.port, ports.frontendMembership)}
      httpPort: ${httpPort}
  history:${rpc(ports.history.grpc, ports.history.membership)}
  matching:${rpc(ports.matching.grpc, ports.matching.membership)}
  worker:${rpc(ports.worker.grpc, ports.worker.membership)}
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

/** True once something accepts TCP connections on the port on 127.0.0.1. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
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
