import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';

export interface StartChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Append stdout and stderr to this file (its directory is created). */
  logFile?: string;
  /** Without logFile: pass output through untouched instead of prefixing lines with "[name] ". */
  inheritOutput?: boolean;
}

export interface ManagedChild {
  name: string;
  pid: number;
  /** Resolves with the exit code, or null if a signal ended the process. */
  exited: Promise<number | null>;
  /** Signals the whole process group, then SIGKILLs it after graceMs. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** SIGKILLs the whole process group right away (crash simulation). */
  kill9(): Promise<void>;
}

/** Children that have not exited yet: process-group id → exit promise. */
const running = new Map<number, Promise<number | null>>();
let cleanupInstalled = false;
/** Set when we are tearing everything down because this process got a signal. */
let shuttingDown = false;

/**
 * Spawns `command` in its own process group, so that stop() reaches anything it forks.
 * Running children are SIGKILLed when this process exits, and SIGTERMed when it gets
 * SIGINT/SIGTERM/SIGHUP and nobody else handles that signal.
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  opts: StartChildOptions = {},
): ManagedChild {
  installCleanup();

  let stdio: Array<'ignore' | 'pipe' | 'inherit' | number>;
  let logFd: number | undefined;
  if (opts.logFile) {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    logFd = fs.openSync(opts.logFile, 'a');
    stdio = ['ignore', logFd, logFd];
  } else if (opts.inheritOutput) {
    stdio = ['ignore', 'inherit', 'inherit'];
  } else {
    stdio = ['ignore', 'pipe', 'pipe'];
  }

  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio, detached: true });
  } finally {
    if (logFd !== undefined) fs.closeSync(logFd); // the child holds its own copy
  }
  if (child.pid === undefined) {
    child.on('error', () => {}); // the spawn error is reported by the throw below
    throw new Error(`could not start ${name}: ${command} (missing or not executable?)`);
  }
  const pid: number = child.pid;

  if (child.stdout) prefixLines(name, child.stdout);
  if (child.stderr) prefixLines(name, child.stderr);

  let stopping = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => console.log(`[${name}] process error: ${err.message}`));
    child.on('exit', (code, signal) => {
      running.delete(pid);
      if (!stopping && !shuttingDown) {
        console.log(
          `[${name}] exited unexpectedly (pid ${pid}, ${code !== null ? `code ${code}` : `signal ${signal}`})`,
        );
      }
      resolve(code);
    });
  });
  running.set(pid, exited);
  const isRunning = () => running.has(pid);

  async function stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    stopping = true;
    if (isRunning()) {
      killGroup(pid, signal);
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => {
        timer = setTimeout(() => resolve('grace-over'), graceMs);
      });
      const outcome = await Promise.race([exited, graceOver]);
      clearTimeout(timer);
      if (outcome === 'grace-over') {
        console.log(`[${name}] still running ${graceMs} ms after ${signal}, sending SIGKILL`);
        killGroup(pid, 'SIGKILL');
      }
    }
    await exited;
    killGroup(pid, 'SIGKILL'); // sweep up forked helpers that outlived the leader
  }

  async function kill9(): Promise<void> {
    stopping = true;
    killGroup(pid, 'SIGKILL');
    await exited;
  }

  return { name, pid, exited, stop, kill9 };
}

/**
 * Runs `wait` (typically a waitFor on a readiness probe) and returns its result, but fails
 * fast, and aborts `wait` through its signal, if the child exits first (port clash, bad flag...).
 */
export async function untilReadyOrExit<T>(child: ManagedChild, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const exitedFirst = child.exited.then((code): never => {
    const err = new Error(`${child.name} exited (code ${code}) before it was ready; see its output`);
    abort.abort(err);
    throw err;
  });
  exitedFirst.catch(() => {}); // a later, expected exit must not become an unhandled rejection
  const ready = wait(abort.signal);
  ready.catch(() => {}); // handled through the race below
  try {
    return await Promise.race([ready, exitedFirst]);
  } finally {
    abort.abort();
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
  }
}

function prefixLines(name: string, stream: Readable): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    process.stdout.write(`[${name}] ${line}\n`);
  });
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const pid of running.keys()) killGroup(pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // Someone else handles this signal: leave shutdown to them ('exit' above is the backstop).
      if (process.listenerCount(signal) > 1) return;
      shuttingDown = true;
      const code = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1);
      for (const pid of running.keys()) killGroup(pid, 'SIGTERM');
      // Give them a moment to shut down cleanly; the 'exit' handler SIGKILLs the rest.
      const graceOver = new Promise((resolve) => setTimeout(resolve, 5_000));
      void Promise.race([Promise.all(running.values()), graceOver]).then(() => process.exit(code));
    });
  }
}
