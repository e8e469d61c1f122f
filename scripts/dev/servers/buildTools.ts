import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  FERRETDB_PATCHES,
  FERRETDB_VERSION,
  TEMPORAL_CLI_VERSION,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
  ferretDbBinaryPath,
  temporalBinaryPath,
  temporalServerBinaryPath,
  temporalSqlToolBinaryPath,
  temporalUiBinaryPath,
  toolCacheDir,
} from './toolPaths.js';

const execFileAsync = promisify(execFile);

type Log = (line: string) => void;

/** Wrapper Go module whose go.mod/go.sum pin (and verify) the FerretDB module. */
const FERRETDB_TOOL_MODULE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../tools/ferretdb');

/** Wrapper Go module pinning go.temporal.io/server (the server and its SQL schema tool). */
const TEMPORAL_SERVER_TOOL_MODULE_DIR = path.resolve(FERRETDB_TOOL_MODULE_DIR, '../temporal-server');

interface Tool {
  label: string;
  binary: string;
  /** Builds the binary into `gobin`, using `workDir` as scratch space. */
  build(gobin: string, workDir: string, log: Log): Promise<void>;
}

const temporalTool: Tool = {
  label: `temporal ${TEMPORAL_CLI_VERSION}`,
  binary: temporalBinaryPath(),
  async build(gobin, workDir, log) {
    await runGo(['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], workDir, gobin, log);
  },
};

/** A package of go.temporal.io/server, built in the wrapper module so go.mod/go.sum pin its dependencies. */
function goModuleTool(moduleDir: string, pkg: string, binary: string, version: string): Tool {
  return {
    label: `${path.basename(binary)} ${version}`,
    binary,
    async build(gobin, _workDir, log) {
      await runGo(['build', '-o', path.join(gobin, path.basename(binary)), pkg], moduleDir, gobin, log);
    },
  };
}
const temporalServerTool = (pkg: string, binary: string) =>
  goModuleTool(TEMPORAL_SERVER_TOOL_MODULE_DIR, pkg, binary, TEMPORAL_SERVER_VERSION);

const temporalServer = temporalServerTool('go.temporal.io/server/cmd/server', temporalServerBinaryPath());
const temporalSqlTool = temporalServerTool('go.temporal.io/server/cmd/tools/sql', temporalSqlToolBinaryPath());
/** Its own wrapper module: the UI server's dependencies differ from the server's. */
const temporalUiTool = goModuleTool(
  path.resolve(FERRETDB_TOOL_MODULE_DIR, '../temporal-ui'),
  'github.com/temporalio/ui-server/v2/cmd/server',
  temporalUiBinaryPath(),
  TEMPORAL_UI_VERSION,
);

/** The server module's directory in the Go module cache: its schema/postgresql holds the SQL schemas. */
export async function temporalServerModuleDir(): Promise<string> {
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', 'go.temporal.io/server'], {
    cwd: TEMPORAL_SERVER_TOOL_MODULE_DIR,
    env: { ...process.env, GOWORK: 'off' },
  });
  const mod = JSON.parse(stdout) as { Version?: string; Dir?: string; Error?: string };
  if (mod.Error || !mod.Dir) throw new Error(`go mod download go.temporal.io/server failed: ${mod.Error ?? stdout}`);
  if (mod.Version !== `v${TEMPORAL_SERVER_VERSION}`) {
    throw new Error(
      `${TEMPORAL_SERVER_TOOL_MODULE_DIR}/go.mod pins ${mod.Version}, expected v${TEMPORAL_SERVER_VERSION}`,
    );
  }
  return mod.Dir;
}

/**
 * FerretDB panics at start-up when built as a plain `go install ...@version` or as a `tool` of
 * another module (Go >= 1.24 records FerretDB as the main module, and then FerretDB insists on a
 * generated build/version/version.txt). So: let the wrapper module download and verify the pinned
 * source, copy it, add version.txt, and build that copy as its own main module.
 */
const ferretDbTool: Tool = {
  label: `ferretdb ${FERRETDB_VERSION} (+${FERRETDB_PATCHES})`,
  binary: ferretDbBinaryPath(),
  async build(gobin, workDir, log) {
    const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', 'github.com/FerretDB/FerretDB'], {
      cwd: FERRETDB_TOOL_MODULE_DIR,
      env: { ...process.env, GOWORK: 'off' },
    });
    const mod = JSON.parse(stdout) as { Version?: string; Dir?: string; Error?: string };
    if (mod.Error || !mod.Dir)
      throw new Error(`go mod download github.com/FerretDB/FerretDB failed: ${mod.Error ?? stdout}`);
    if (mod.Version !== `v${FERRETDB_VERSION}`) {
      throw new Error(`${FERRETDB_TOOL_MODULE_DIR}/go.mod pins FerretDB ${mod.Version}, expected v${FERRETDB_VERSION}`);
    }
    const src = path.join(workDir, 'src');
    await fs.cp(mod.Dir, src, { recursive: true });
    await makeWritable(src); // the module cache is read-only; we add a file and later delete the copy
    await fs.writeFile(path.join(src, 'build', 'version', 'version.txt'), `v${FERRETDB_VERSION}\n`);
    await useIdIndex(src);
    await runGo(['install', '-buildvcs=false', './cmd/ferretdb'], src, gobin, log);
  },
};

/**
 * Patch "idx1": FerretDB 1.24's SQLite backend creates each collection's unique `_id` index on the
 * expression `_ferretdb_sjson->"_id"` but looks documents up by `_ferretdb_sjson->'$._id'`. Both give the
 * same value, yet SQLite only uses an index for the expression it was built on, so every find, update
 * and delete by `_id` scanned the whole table (10,000 connections: 83 ms a lookup; 1.2 ms patched). The
 * lookup is changed to the index's expression; stored data and existing files are untouched.
 */
async function useIdIndex(src: string): Promise<void> {
  const file = path.join(src, 'internal', 'backends', 'sqlite', 'metadata', 'metadata.go');
  const before = `IDColumn = DefaultColumn + "->'$._id'"`;
  const text = await fs.readFile(file, 'utf8');
  if (!text.includes(before)) throw new Error(`FerretDB patch ${FERRETDB_PATCHES}: ${file} no longer has ${before}`);
  await fs.writeFile(file, text.replace(before, 'IDColumn = DefaultColumn + `->"_id"`'));
}

/** Makes sure the requested binaries are in the cache, building missing ones with `go`. */
export async function ensureTools(
  which: { temporal: boolean; ferretdb: boolean; temporalServer?: boolean },
  log: Log = console.log,
): Promise<{
  temporal?: string;
  ferretdb?: string;
  temporalServer?: string;
  temporalSqlTool?: string;
  temporalUi?: string;
}> {
  // All build at once (Go's build cache is safe for concurrent use): a fresh machine waits for the slowest one only.
  const [temporal, ferretdb, server, sqlTool, ui] = await Promise.all([
    which.temporal ? ensureTool(temporalTool, log) : undefined,
    which.ferretdb ? ensureTool(ferretDbTool, log) : undefined,
    which.temporalServer ? ensureTool(temporalServer, log) : undefined,
    which.temporalServer ? ensureTool(temporalSqlTool, log) : undefined,
    which.temporalServer ? ensureTool(temporalUiTool, log) : undefined,
  ]);
  return {
    ...(temporal ? { temporal } : {}),
    ...(ferretdb ? { ferretdb } : {}),
    ...(server ? { temporalServer: server } : {}),
    ...(sqlTool ? { temporalSqlTool: sqlTool } : {}),
    ...(ui ? { temporalUi: ui } : {}),
  };
}

async function ensureTool(tool: Tool, log: Log): Promise<string> {
  const problem = await checkBinary(tool.binary);
  if (problem === undefined) {
    log(`${tool.label}: cached at ${tool.binary}`);
    return tool.binary;
  }
  if (problem !== 'missing') log(`${tool.label}: cached binary at ${tool.binary} is unusable (${problem}), rebuilding`);
  await assertGoInstalled(tool.label);

  const cacheDir = toolCacheDir();
  await fs.mkdir(cacheDir, { recursive: true });
  // Private scratch dir on the cache's filesystem, so the final rename is atomic and two
  // processes building at once never see (or run) each other's half-written binaries.
  const workDir = await fs.mkdtemp(path.join(cacheDir, `.build-${path.basename(path.dirname(tool.binary))}-`));
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  log(`building ${tool.label} (first run only, a few minutes)...`);
  const ticker = setInterval(() => log(`  ...still building ${tool.label} (${seconds()} s)`), 15_000);
  try {
    const gobin = path.join(workDir, 'bin');
    await tool.build(gobin, workDir, (line) => log(`  [go ${tool.label}] ${line}`));
    const built = path.join(gobin, path.basename(tool.binary));
    const builtProblem = await checkBinary(built);
    if (builtProblem !== undefined) throw new Error(`freshly built ${tool.label} does not run: ${builtProblem}`);
    await fs.mkdir(path.dirname(tool.binary), { recursive: true });
    await fs.rename(built, tool.binary);
  } finally {
    clearInterval(ticker);
    await fs.rm(workDir, { recursive: true, force: true });
  }
  log(`built ${tool.label} in ${seconds()} s: ${tool.binary}`);
  return tool.binary;
}

/** undefined if the binary runs `--version` fine, else 'missing' or what went wrong. */
async function checkBinary(binary: string): Promise<string | undefined> {
  try {
    await fs.access(binary, fs.constants.X_OK);
  } catch {
    return 'missing';
  }
  try {
    await execFileAsync(binary, ['--version'], { timeout: 30_000 });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return (e.stderr?.trim().split('\n')[0] || e.message).slice(0, 200);
  }
}

async function assertGoInstalled(forWhat: string): Promise<void> {
  try {
    await execFileAsync('go', ['version']);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? '`go` is not on PATH' : String(err);
    throw new Error(`cannot build ${forWhat}: ${reason}. Install Go 1.24 or newer (https://go.dev/dl/) and retry.`, {
      cause: err,
    });
  }
}

/** Runs a go command with GOBIN set, streaming its output line by line. */
function runGo(args: string[], cwd: string, gobin: string, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd,
      env: { ...process.env, GOBIN: gobin, GOWORK: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', log);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `go ${args.join(' ')} failed (${code !== null ? `exit code ${code}` : signal}), see its output above`,
          ),
        );
    });
  });
}

async function makeWritable(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(full);
    else if (entry.isFile()) await fs.chmod(full, 0o644);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureTools({ temporal: true, ferretdb: true, temporalServer: process.argv.includes('--postgres') }).catch(
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
