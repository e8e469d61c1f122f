import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A process's resident set size in MiB (VmRSS of /proc/<pid>/status), or undefined when it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in seconds (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return undefined;
  }
}

/**
 * CPU time of a process and its children, the exited ones included (its reaped children's time, fields
 * cutime and cstime): a PostgreSQL postmaster and the backends it forked and reaped.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const own = (fields[11]! + fields[12]! + fields[13]! + fields[14]!) / 100; // utime stime cutime cstime
    const live = childProcesses(pid).reduce((sum, child) => sum + (cpuSeconds(child.pid) ?? 0), 0);
    return own + live;
  } catch {
    return undefined;
  }
}

/** The machine's PostgreSQL server: the `postgres` process started by init (the postmaster). */
export function postmasterPid(): number | undefined {
  for (const { pid, cmdline } of childProcesses(1)) {
    if (cmdline[0]?.endsWith('/postgres') || cmdline[0] === 'postgres') return pid;
  }
  return undefined;
}

/** CPU time all cores of the machine have been busy so far (not idle or iowait), in seconds. */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Direct children of a process, with their command lines (the servers startStack spawned are ours). */
export function childProcesses(parentPid = process.pid): Array<{ pid: number; cmdline: string[] }> {
  const out: Array<{ pid: number; cmdline: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(entry), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * The servers this process started for dataDir: the Temporal dev server (sqlite) or the Temporal
 * server's processes (postgres: the first is the frontend's, the rest `temporalServices`), FerretDB,
 * and on postgres the machine's PostgreSQL (its postmaster, sampled with its backends).
 */
export function serverPids(dataDir: string): {
  temporal?: number;
  temporalServices?: number[];
  ferretdb?: number;
  postgres?: number;
} {
  const children = childProcesses();
  const usesDataDir = (c: { cmdline: string[] }) => c.cmdline.some((a) => a.includes(dataDir));
  const cluster = children.filter((c) => usesDataDir(c) && c.cmdline.includes('--service')).map((c) => c.pid);
  const ferretdb = children.find(
    (c) => c.cmdline.includes('--handler=postgresql') || (usesDataDir(c) && c.cmdline.includes('--handler=sqlite')),
  )?.pid;
  if (cluster.length === 0) {
    return { temporal: children.find((c) => usesDataDir(c) && c.cmdline.includes('start-dev'))?.pid, ferretdb };
  }
  return { temporal: cluster[0], temporalServices: cluster.slice(1), ferretdb, postgres: postmasterPid() };
}

/** Total size in MiB of the files in dir whose names start with prefix (SQLite files and their -wal/-shm). */
export function filesMiB(dir: string, prefix: string): number | undefined {
  try {
    let bytes = 0;
    for (const name of readdirSync(dir)) if (name.startsWith(prefix)) bytes += statSync(join(dir, name)).size;
    return bytes / 1024 / 1024;
  } catch {
    return undefined;
  }
}

export interface RssSeries {
  /** at the first sample */
  firstMiB?: number | undefined;
  lastMiB: number | undefined;
  peakMiB: number | undefined;
  /** CPU used while sampled, in cores (1 = one core busy the whole time) */
  cpuCores?: number;
}

/** Processes sampled with their children's CPU and without RSS (shared buffers would count once per backend). */
const PROCESS_TREES = new Set(['postgres']);
const cpuOf = (name: string, pid: number) => (PROCESS_TREES.has(name) ? treeCpuSeconds(pid) : cpuSeconds(pid));

/** Samples the RSS of named processes every intervalMs; reports the last sample and the peak. */
export class RssSampler {
  private readonly series = new Map<string, RssSeries>();
  private timer: NodeJS.Timeout | undefined;
  private readonly cpuAtStart = new Map<string, number>();
  private startedAt = 0;
  private machineAtStart = 0;

  constructor(
    private readonly pids: Record<string, number | undefined>,
    private readonly intervalMs = 1_000,
  ) {}

  start(): this {
    this.startedAt = performance.now();
    this.machineAtStart = machineBusySeconds();
    for (const [name, pid] of Object.entries(this.pids)) {
      const cpu = pid === undefined ? undefined : cpuOf(name, pid);
      if (cpu !== undefined) this.cpuAtStart.set(name, cpu);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const rss = PROCESS_TREES.has(name) ? undefined : rssMiB(pid);
      const prev = this.series.get(name) ?? { firstMiB: rss, lastMiB: undefined, peakMiB: undefined };
      this.series.set(name, {
        firstMiB: prev.firstMiB ?? rss,
        lastMiB: rss ?? prev.lastMiB,
        peakMiB: rss === undefined ? prev.peakMiB : Math.max(prev.peakMiB ?? 0, rss),
      });
    }
  }

  stop(): Record<string, RssSeries> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const wall = (performance.now() - this.startedAt) / 1000;
    if (wall < 1) return Object.fromEntries(this.series); // too short to say anything about CPU
    for (const [name, pid] of Object.entries(this.pids)) {
      const [before, after] = [this.cpuAtStart.get(name), pid === undefined ? undefined : cpuOf(name, pid)];
      const series = this.series.get(name);
      if (series && before !== undefined && after !== undefined)
        series.cpuCores = Math.round(((after - before) / wall) * 100) / 100;
    }
    // Everything else on the machine (e.g. a test suite running meanwhile): busy cores not used by the sampled processes.
    const ours = [...this.series.values()].reduce((sum, series) => sum + (series.cpuCores ?? 0), 0);
    const machine = (machineBusySeconds() - this.machineAtStart) / wall;
    this.series.set('other processes', {
      lastMiB: undefined,
      peakMiB: undefined,
      cpuCores: Math.round(Math.max(0, machine - ours) * 100) / 100,
    });
    return Object.fromEntries(this.series);
  }
}
