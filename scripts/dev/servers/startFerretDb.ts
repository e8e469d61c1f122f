import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startChild, untilReadyOrExit, type ManagedChild } from './childProcess.js';
import { waitFor } from './waitFor.js';

export interface StartFerretDbOptions {
  binary: string;
  /** Directory of SQLite files, one per database; reusing it keeps the data. Unused with postgresUrl. */
  dataDir: string;
  /** Store in this PostgreSQL database (FerretDB's postgresql handler) instead of SQLite files. */
  postgresUrl?: string;
  port: number;
  /** Append server output here; otherwise it is printed with a "[ferretdb] " prefix. */
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface RunningFerretDb {
  /** MongoDB connection string for the server. */
  uri: string;
  child: ManagedChild;
}

/** Starts FerretDB on SQLite (or PostgreSQL) and resolves once a MongoDB client can ping it. */
export async function startFerretDb(opts: StartFerretDbOptions): Promise<RunningFerretDb> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const uri = `mongodb://127.0.0.1:${opts.port}/?directConnection=true`;

  const backend = opts.postgresUrl
    ? ['--handler=postgresql', `--postgresql-url=${opts.postgresUrl}`]
    : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`];
  const args = [
    ...backend,
    `--listen-addr=127.0.0.1:${opts.port}`,
    '--telemetry=disable',
    '--debug-addr=-',
    '--state-dir=-',
    '--log-level=error',
  ];
  const child = startChild('ferretdb', opts.binary, args, { logFile: opts.logFile });

  try {
    await untilReadyOrExit(child, (signal) =>
      waitFor(`FerretDB at ${uri}`, () => pingMongo(uri), { timeoutMs: opts.readyTimeoutMs ?? 30_000, signal }),
    );
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { uri, child };
}

async function pingMongo(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close();
  }
}
