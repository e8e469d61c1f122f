import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startChild, untilReadyOrExit, type ManagedChild } from './childProcess.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../../lib/temporal/names.js';
import { waitFor } from './waitFor.js';

export interface StartTemporalOptions {
  binary: string;
  /** SQLite file holding all server state; reusing it across restarts keeps the data. */
  dbFile: string;
  port: number;
  uiPort: number;
  namespace?: string;
  /** Append server output here; otherwise it is printed with a "[temporal] " prefix. */
  logFile?: string;
  readyTimeoutMs?: number;
  /** The codec server the Web UI asks to decode payloads (connectflow's API serves `<url>/decode`). */
  uiCodecEndpoint?: string;
}

export interface RunningTemporal {
  /** gRPC frontend, "127.0.0.1:<port>". */
  address: string;
  uiUrl: string;
  child: ManagedChild;
}

/** Starts `temporal server start-dev` and resolves once gRPC, the namespace, search attributes and UI all work. */
export async function startTemporal(opts: StartTemporalOptions): Promise<RunningTemporal> {
  const namespace = opts.namespace ?? 'default';
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = `http://127.0.0.1:${opts.uiPort}`;
  fs.mkdirSync(path.dirname(path.resolve(opts.dbFile)), { recursive: true });

  const args = [
    'server',
    'start-dev',
    '--db-filename',
    opts.dbFile,
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    // Write-ahead log, fsync at checkpoints rather than at every commit: survives a killed server (the
    // fault tests restart it on the same file) and spares these disks an fsync per commit (before, the bench's
    // 10,000-connection phase had the machine writing ~140 MB/s and up to 50% in I/O wait); a power cut
    // may lose the last moments. Production runs a real Temporal cluster.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    // Caches sized for tens of thousands of connections. The dev server caps the workflow (mutable
    // state) cache at 8,096 entries, below Temporal's own default of 128,000: with more connections than
    // that, every refresh timer fired on an evicted workflow, reloaded from SQLite (a query per state
    // table). The events cache (one shard here) gets 64 MiB instead of 512 KiB for the same reason.
    // Measured at 10,000 connections: 27.5 refreshes/s instead of 25.3, the server's CPU per refresh
    // 34 ms instead of 37 (21 ms at 1,000: most of that growth is elsewhere); its RSS ~1 GiB instead of ~560 MiB.
    '--dynamic-config-value',
    'history.hostLevelCacheMaxSize=128000',
    '--dynamic-config-value',
    `history.eventsCacheMaxSizeBytes=${64 * 1024 * 1024}`,
    // The dev server turns Temporal's search-attribute cache off (so attributes added at run time show
    // at once): every read of the attribute definitions (each start, upsert and visibility write) is
    // then a cluster-metadata query on SQLite's one connection, and namespace reads went with them: at
    // 10,000 connections 108,870 GetCurrentClusterMetadata and 34,482 GetNamespace queries for 17,063 runs,
    // 14 and 21 with the cache. Ours are registered with the database, before the server serves, so the
    // cache (Temporal's default) is safe.
    '--dynamic-config-value',
    'system.forceSearchAttributesCacheRefreshOnRead=false',
    ...SEARCH_ATTRIBUTE_NAMES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
    ...(opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  const child = startChild('temporal', opts.binary, args, { logFile: opts.logFile });

  const what = `Temporal at ${address} (namespace ${namespace}, search attributes, UI)`;
  try {
    await untilReadyOrExit(child, (signal) =>
      waitFor(what, () => temporalReady(address, namespace, uiUrl), {
        timeoutMs: opts.readyTimeoutMs ?? 60_000,
        signal,
      }),
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { address, uiUrl, child };
}

/** True when gRPC answers, the namespace exists, our search attributes are registered and the UI serves pages. */
async function temporalReady(address: string, namespace: string, uiUrl: string): Promise<boolean> {
  const connection = Connection.lazy({ address, connectTimeout: 2_000 }); // lazy: closed even if connecting fails
  try {
    await connection.ensureConnected();
    // Deadlines: a call to a server that is still starting must not hang the readiness probe.
    const soon = () => Date.now() + 3_000;
    await connection.withDeadline(soon(), () => connection.workflowService.describeNamespace({ namespace }));
    const { customAttributes } = await connection.withDeadline(soon(), () =>
      connection.operatorService.listSearchAttributes({ namespace }),
    );
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !(customAttributes && name in customAttributes));
    if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
  const res = await fetch(uiUrl, { signal: AbortSignal.timeout(2_000) });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`UI answered HTTP ${res.status}`);
  return true;
}
