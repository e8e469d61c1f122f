import os from 'node:os';
import path from 'node:path';

/** Pinned versions of the servers we build from Go modules. */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const FERRETDB_VERSION = '1.24.2';
/** The Temporal server the CLI embeds, run as real services on PostgreSQL (`CONNECTFLOW_ENGINE=postgres`). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** Temporal's Web UI server, the version the CLI embeds. */
export const TEMPORAL_UI_VERSION = '2.42.1';
/** Our patches to that source (see buildTools.ts); part of the cache key, so a new patch rebuilds. */
export const FERRETDB_PATCHES = 'idx1';

/** Where built binaries live: `$CONNECTFLOW_CACHE_DIR` or `~/.cache/connectflow/bin`. */
export function toolCacheDir(): string {
  const fromEnv = process.env.CONNECTFLOW_CACHE_DIR;
  return fromEnv ? path.resolve(fromEnv) : path.join(os.homedir(), '.cache', 'connectflow', 'bin');
}

export function temporalBinaryPath(): string {
  return path.join(toolCacheDir(), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export function ferretDbBinaryPath(): string {
  return path.join(toolCacheDir(), `ferretdb-${FERRETDB_VERSION}-${FERRETDB_PATCHES}`, 'ferretdb');
}

export function temporalServerBinaryPath(): string {
  return path.join(toolCacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'temporal-server');
}

export function temporalSqlToolBinaryPath(): string {
  return path.join(toolCacheDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`, 'temporal-sql-tool');
}

export function temporalUiBinaryPath(): string {
  return path.join(toolCacheDir(), `temporal-ui-server-${TEMPORAL_UI_VERSION}`, 'temporal-ui-server');
}
