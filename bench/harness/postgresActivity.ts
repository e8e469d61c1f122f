import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { PostgresServer } from '../../scripts/dev/servers/postgresDatabases.js';
import { cpuSeconds } from './procStats.js';

/** What PostgreSQL's busy backends did over a window, read from pg_stat_activity several times a second. */
export interface PostgresActivity {
  samples: number;
  /** busy (state active) client backends on average, by database */
  activeBackends: Record<string, number>;
  /** the share of busy-backend samples by wait event, largest first; `CPU` = no wait event (running or runnable) */
  waits: Array<{ wait: string; share: number }>;
  /** cores used by the backends seen, by database (background processes by their type) */
  cpuCores: Record<string, number>;
  /** sessions (backends) started per second, by database (pg_stat_database.sessions): pool churn */
  newSessionsPerSecond: Record<string, number>;
}

const SESSIONS = `\\echo #sessions
SELECT datname, sessions FROM pg_stat_database WHERE datname IS NOT NULL;
\\echo #sessions-end
`;

const SAMPLE = `\\echo #sample
SELECT pid, coalesce(datname, ''), backend_type, coalesce(state, ''), coalesce(wait_event_type, ''), coalesce(wait_event, '')
  FROM pg_stat_activity WHERE pid <> pg_backend_pid();
`;

/** Our databases are `connectflow_<data dir hash>_<role>`: named by their role (temporal, ferretdb...). */
const roleOf = (datname: string, backendType: string) =>
  datname === '' ? backendType : datname.replace(/^connectflow_[0-9a-f]+_/, '');

/**
 * Samples pg_stat_activity through one psql session (a query every intervalMs) and the CPU of each
 * backend it lists from /proc: which database's backends used the cores, and what busy ones waited on.
 */
export class PostgresActivitySampler {
  private psql: ChildProcessWithoutNullStreams | undefined;
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;
  private startedAt = 0;
  private readonly active = new Map<string, number>();
  private readonly waits = new Map<string, number>();
  /** per backend: its role, and its CPU when first and last seen */
  private readonly backends = new Map<number, { role: string; firstCpu: number; lastCpu: number }>();
  /** pg_stat_database.sessions at the start and at the end; lines go there while a snapshot is read */
  private readonly sessions: Array<Map<string, number>> = [];
  private readingSessions: Map<string, number> | undefined;
  private sessionsRead: (() => void) | undefined;

  constructor(
    private readonly server: PostgresServer,
    private readonly intervalMs = 200,
  ) {}

  start(): this {
    this.startedAt = performance.now();
    this.psql = spawn(
      'psql',
      ['-X', '-q', '-A', '-t', '-F', '\t', '-h', this.server.host, '-p', String(this.server.port)],
      { env: { ...process.env, PGUSER: this.server.user, PGDATABASE: 'postgres' } },
    );
    this.psql.on('error', () => undefined); // no psql: the window reports no samples
    createInterface({ input: this.psql.stdout }).on('line', (line) => this.read(line));
    this.psql.stdin.write(SESSIONS);
    this.timer = setInterval(() => this.psql?.stdin.write(SAMPLE), this.intervalMs);
    this.timer.unref();
    return this;
  }

  private read(line: string): void {
    if (line === '#sessions') {
      this.readingSessions = new Map();
      return;
    }
    if (line === '#sessions-end') {
      if (this.readingSessions) this.sessions.push(this.readingSessions);
      this.readingSessions = undefined;
      this.sessionsRead?.();
      return;
    }
    if (this.readingSessions) {
      const [datname = '', count] = line.split('\t');
      this.readingSessions.set(roleOf(datname, ''), Number(count));
      return;
    }
    if (line === '#sample') {
      this.samples++;
      return;
    }
    const [pid, datname = '', backendType = '', state, waitType, waitEvent] = line.split('\t');
    const role = roleOf(datname, backendType);
    const cpu = cpuSeconds(Number(pid));
    if (cpu !== undefined) {
      const seen = this.backends.get(Number(pid));
      // a backend first seen mid-window (a new pool connection) counts from its start
      this.backends.set(Number(pid), { role, firstCpu: seen?.firstCpu ?? (this.samples <= 1 ? cpu : 0), lastCpu: cpu });
    }
    if (backendType !== 'client backend' || state !== 'active') return;
    this.active.set(role, (this.active.get(role) ?? 0) + 1);
    const wait = waitType ? `${waitType}:${waitEvent}` : 'CPU';
    this.waits.set(wait, (this.waits.get(wait) ?? 0) + 1);
  }

  async stop(): Promise<PostgresActivity> {
    if (this.timer) clearInterval(this.timer);
    const wall = (performance.now() - this.startedAt) / 1000;
    await new Promise<void>((resolve) => {
      this.sessionsRead = resolve;
      this.psql?.stdin.write(SESSIONS);
      setTimeout(resolve, 5_000).unref(); // psql gone: no session counts
    });
    this.psql?.stdin.end();
    this.psql?.kill();
    const [before, after] = [this.sessions[0], this.sessions.at(-1)];
    const samples = Math.max(1, this.samples);
    const busy = [...this.waits.values()].reduce((a, b) => a + b, 0);
    const cpu = new Map<string, number>();
    for (const { role, firstCpu, lastCpu } of this.backends.values())
      cpu.set(role, (cpu.get(role) ?? 0) + (lastCpu - firstCpu));
    const round2 = (v: number) => Math.round(v * 100) / 100;
    return {
      samples: this.samples,
      activeBackends: Object.fromEntries([...this.active].map(([role, n]) => [role, round2(n / samples)])),
      waits: [...this.waits]
        .sort((a, b) => b[1] - a[1])
        .map(([wait, n]) => ({ wait, share: Math.round((n / Math.max(1, busy)) * 1000) / 1000 })),
      cpuCores: Object.fromEntries(
        [...cpu]
          .filter(([, seconds]) => seconds > 0)
          .sort((a, b) => b[1] - a[1])
          .map(([role, seconds]) => [role, round2(seconds / Math.max(1, wall))]),
      ),
      newSessionsPerSecond: Object.fromEntries(
        [...(after ?? [])]
          .map(([role, n]) => [role, round2((n - (before?.get(role) ?? n)) / Math.max(1, wall))] as const)
          .filter(([, perSecond]) => perSecond > 0),
      ),
    };
  }
}
