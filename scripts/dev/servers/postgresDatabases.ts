import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A PostgreSQL server reached over TCP without a password (trust auth), as on the dev machines and CI. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
}

/** The databases one data dir owns on the postgres engine; each data dir gets its own, so stacks never share state. */
export function dataDirDatabases(dataDir: string): { temporal: string; temporalVisibility: string; ferretDb: string } {
  const prefix = `connectflow_${createHash('sha256').update(dataDir).digest('hex').slice(0, 10)}`;
  return {
    temporal: `${prefix}_temporal`,
    temporalVisibility: `${prefix}_temporal_visibility`,
    ferretDb: `${prefix}_ferretdb`,
  };
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

/** Runs Temporal's SQL tool against one database. */
export function runSqlTool(
  sqlToolBinary: string,
  postgres: PostgresServer,
  database: string,
  args: string[],
  timeoutMs = 120_000,
) {
  return execFileAsync(sqlToolBinary, [...sqlToolArgs(postgres, database), ...args], { timeout: timeoutMs });
}

/**
 * Creates a PostgreSQL database unless it exists (the sql tool's create-database, used for FerretDB's
 * too), and labels it with the data dir it belongs to (see dropDatabasesOfMissingDataDirs).
 */
export async function createDatabase(
  sqlToolBinary: string,
  postgres: PostgresServer,
  database: string,
  dataDir: string,
): Promise<void> {
  await runSqlTool(sqlToolBinary, postgres, database, ['create-database'], 60_000).catch(
    (err: { stderr?: string; message: string }) => {
      if (!/already exists/.test(`${err.stderr ?? ''} ${err.message}`)) throw err;
    },
  );
  // Without its label the database works, it is only never swept (e.g. while PostgreSQL has no connection to spare).
  await psql(postgres, `COMMENT ON DATABASE "${database}" IS ${sqlString(`${LABEL}${hostname()}:${dataDir}`)}`).catch(
    () => undefined,
  );
}

/** Drops the databases (if they exist); their servers must be stopped. */
export async function dropDatabases(sqlToolBinary: string, postgres: PostgresServer, databases: string[]) {
  for (const database of databases) await runSqlTool(sqlToolBinary, postgres, database, ['drop-database', '--force']);
}

const LABEL = 'connectflow data dir ';

/**
 * Drops the databases labelled with a data dir of this machine that no longer exists (a test or bench
 * run that was killed before its teardown, a removed clone), so they do not pile up. Returns their names.
 */
export async function dropDatabasesOfMissingDataDirs(
  sqlToolBinary: string,
  postgres: PostgresServer,
): Promise<string[]> {
  const listed = await psql(
    postgres,
    `SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE 'connectflow\\_%'`,
  );
  if (listed === undefined) return [];
  const ours = `${LABEL}${hostname()}:`;
  const orphans = listed
    .split('\n')
    .map((line) => line.split('\t') as [string, string?])
    .filter(([, label]) => label?.startsWith(ours) && !existsSync(label.slice(ours.length)))
    .map(([name]) => name);
  await dropDatabases(sqlToolBinary, postgres, orphans);
  return orphans;
}

let psqlMissing = false;

/**
 * Runs one statement with `psql` and returns its rows (tab-separated), or undefined without `psql` on
 * PATH: labels and the clean-up of orphans are a convenience, the engine runs without them.
 */
async function psql(postgres: PostgresServer, sql: string): Promise<string | undefined> {
  if (psqlMissing) return undefined;
  const args = ['-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, '-d', 'postgres'];
  try {
    const { stdout } = await execFileAsync('psql', [...args, '-XAtq', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      timeout: 30_000,
    });
    return stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    psqlMissing = true;
    return undefined;
  }
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
