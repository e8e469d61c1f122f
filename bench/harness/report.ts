import type { ContenderName } from './benchStack.js';
import { flowLevel, type FlowLevelResult } from '../parts/flows.js';
import type { BenchResults } from './runBench.js';
import { ratio, round } from './stats.js';
import type { CapacityPartResult } from '../parts/capacity.js';
import type { PostgresActivity } from './postgresActivity.js';
import type { RunLengthPartResult } from '../parts/runLength.js';
import { costCurveMarkdown } from './costCurve.js';

type Cell = string | number | undefined;

/** A plain-text table: numbers right-aligned, a rule under the header rows. */
export function table(header: Cell[][], rows: Cell[][]): string {
  const all = [...header, ...rows].map((r) => r.map(show));
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[], isHeader: boolean) =>
    r
      .map((c, i) =>
        !isHeader && i > 0 && /^[-\d.,x<>≤≥ ~/()%]+$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  const out = all.slice(0, header.length).map((r) => line(r, true));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  out.push(...all.slice(header.length).map((r) => line(r, false)));
  return out.join('\n');
}

function cpuLine(cores: Record<string, number | undefined>): string {
  return Object.entries(cores)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function show(c: Cell): string {
  if (c === undefined) return '';
  if (typeof c === 'number') return Number.isNaN(c) ? 'n/a' : String(c);
  return c;
}

const LABEL: Record<ContenderName, string> = {
  direct: 'direct',
  'bare-temporal': 'bare-Temporal*',
  connectflow: 'connectflow',
};

export function formatReport(results: BenchResults): string {
  const out: string[] = [];
  const { flows, coalescing, proxy, scale } = results;
  out.push(
    `connectflow bench (${results.sizes}, ${results.engine ?? 'sqlite'}) ${results.startedAt}: ${results.machine.cpus} cores (${results.machine.cpuModel ?? '?'}), ` +
      `${results.machine.memoryGiB} GiB, Node ${results.machine.node}; stack up in ${results.stackStartSeconds} s`,
  );

  if (flows) {
    out.push(
      '',
      'Part 1: the Rivery flow over HTTP (HTTP driver signs in and consents at oidc-provider; no browser). Latencies in ms.',
    );
    out.push(
      '  POST = POST /api/oauth2; callback = callback sent -> outcome; flow = POST /api/oauth2 -> credentials 200 (includes the driver at the provider)',
    );
    const concurrencies = [...new Set(flows.levels.map((l) => l.concurrency))];
    for (const c of concurrencies) {
      const levels = flows.order.map((n) => flowLevel(flows, n, c)).filter((l): l is FlowLevelResult => !!l);
      const row = (l: FlowLevelResult): Cell[] => [
        LABEL[l.contender],
        l.post.p50,
        l.post.p95,
        l.post.p99,
        l.callback.p50,
        l.callback.p95,
        l.callback.p99,
        l.total.p50,
        l.total.p95,
        l.total.p99,
        l.flowsPerSecond,
        `${l.completed}/${l.flows}`,
      ];
      const cf = levels.find((l) => l.contender === 'connectflow');
      const ratioRow = (name: string, other: FlowLevelResult | undefined): Cell[] =>
        !cf || !other
          ? [name]
          : [
              name,
              ratio(cf.post.p50, other.post.p50),
              ratio(cf.post.p95, other.post.p95),
              ratio(cf.post.p99, other.post.p99),
              ratio(cf.callback.p50, other.callback.p50),
              ratio(cf.callback.p95, other.callback.p95),
              ratio(cf.callback.p99, other.callback.p99),
              ratio(cf.total.p50, other.total.p50),
              ratio(cf.total.p95, other.total.p95),
              ratio(cf.total.p99, other.total.p99),
              ratio(cf.flowsPerSecond, other.flowsPerSecond),
              '',
            ];
      out.push('', `concurrency ${c}, ${levels[0]?.flows} flows per contender`);
      out.push(
        table(
          [
            ['', 'POST', '', '', 'callback', '', '', 'flow', '', '', 'flows/s', 'ok'],
            ['', 'p50', 'p95', 'p99', 'p50', 'p95', 'p99', 'p50', 'p95', 'p99', '', ''],
          ],
          [
            ...levels.map(row),
            ratioRow(
              'connectflow/direct',
              levels.find((l) => l.contender === 'direct'),
            ),
            ratioRow(
              'connectflow/bare-Temporal',
              levels.find((l) => l.contender === 'bare-temporal'),
            ),
          ],
        ),
      );
      const driver = levels.map((l) => `${l.contender} ${l.provider.p50}`).join(', ');
      out.push(`  driver at the provider (p50 ms, inside "flow"): ${driver}`);
      for (const l of levels.filter((x) => x.failed))
        out.push(`  ${l.contender}: ${l.failed} failed, e.g. ${l.errors[0]}`);
      for (const l of levels) out.push(`  CPU during ${l.contender} (cores): ${cpuLine(l.cpuCores)}`);
    }
    out.push(
      '',
      '  * bare-Temporal: the same workflow shape with no-op activities: its callback makes NO provider call and writes no database.',
    );
    for (const c of results.contenders) out.push(`  ${c.name}: ${c.wiring}`);
  }

  if (coalescing) {
    out.push(
      '',
      `Part 2: refresh coalescing: ${coalescing.requests} concurrent POST /api/connections/:id/refresh on one connection whose token is expired`,
    );
    out.push(
      table(
        [
          [
            '',
            '200s',
            'tokens',
            'token calls',
            'p50 ms',
            'p95 ms',
            'p99 ms',
            'max ms',
            'burst ms',
            'round trip p50',
            'p99 - round trip',
            'p99 / round trip',
          ],
        ],
        [
          [
            'connectflow',
            `${coalescing.answered200}/${coalescing.requests}`,
            coalescing.distinctAccessTokens,
            coalescing.tokenEndpointCalls,
            coalescing.latency.p50,
            coalescing.latency.p95,
            coalescing.latency.p99,
            coalescing.latency.max,
            coalescing.wallMs,
            coalescing.providerRoundTrip.p50,
            coalescing.p99MinusRoundTripMs,
            coalescing.p99OverRoundTrip,
          ],
        ],
      ),
    );
    out.push(`  CPU during the burst (cores): ${cpuLine(coalescing.cpuCores)}`);
    out.push(
      `  HTTP floor: ${coalescing.requests} concurrent GET /healthz at the same API: p50 ${coalescing.httpFloor.p50} ms, ` +
        `p99 ${coalescing.httpFloor.p99} ms (no authentication, database or Temporal)`,
    );
    out.push(
      `  round trip = a direct refresh-token grant (oauth4webapi) at the same provider: p50 ${coalescing.providerRoundTrip.p50} ms, p99 ${coalescing.providerRoundTrip.p99} ms (n=${coalescing.providerRoundTrip.n})`,
    );
    out.push(
      '  connectflow/direct, connectflow/bare-Temporal: n/a (neither contender has a refresh endpoint; the reference is the provider round trip)',
    );
    out.push(`  ${coalescing.setup}`);
  }

  if (scale) {
    out.push(
      '',
      `Part 3: active connections on one worker (10-minute access tokens, refresh every ${scale.refreshCycleSeconds} s); a fresh worker process for this part`,
    );
    // with connections never refreshed, the upper lags are lower bounds
    const lag = (p: (typeof scale.phases)[number], v: number) =>
      p.lagCensoredFromSeconds !== null && v >= p.lagCensoredFromSeconds ? `>= ${v}` : v;
    const rows: Cell[][] = scale.phases.map((p) => [
      p.activeConnections.toLocaleString('en-US'),
      p.creationPerSecond,
      `${p.windowSeconds} (${p.refreshesPerSecond}/s)`,
      `${p.refreshed}/${p.activeConnections}`,
      lag(p, p.lagSeconds.p50),
      lag(p, p.lagSeconds.p95),
      lag(p, p.lagSeconds.p99),
      lag(p, p.lagSeconds.max),
      `${p.rssMiB.worker?.firstMiB} / ${p.rssMiB.worker?.peakMiB} / ${p.rssMiB.worker?.lastMiB}`,
      p.rssMiB.temporal
        ? `${p.rssMiB.temporal.firstMiB} / ${p.rssMiB.temporal.peakMiB} / ${p.rssMiB.temporal.lastMiB}`
        : 'n/a',
      p.rssMiB.api?.peakMiB,
      p.rssMiB.ferretdb?.peakMiB ?? 'n/a',
      p.mongo.totalSizeMiB ?? p.mongo.storageSizeMiB,
      p.mongo.fileMiB ?? 'n/a',
      p.temporalDbFileMiB ?? 'n/a',
    ]);
    const [first, last] = [scale.phases[0], scale.phases.at(-1)];
    if (first && last && first !== last) {
      const g = (a: number | undefined, b: number | undefined) =>
        a === undefined || b === undefined ? undefined : `${ratio(b, a)}x`;
      rows.push([
        `${last.activeConnections / first.activeConnections}x connections`,
        '',
        '',
        '',
        g(first.lagSeconds.p50, last.lagSeconds.p50),
        g(first.lagSeconds.p95, last.lagSeconds.p95),
        g(first.lagSeconds.p99, last.lagSeconds.p99),
        g(first.lagSeconds.max, last.lagSeconds.max),
        g(first.rssMiB.worker?.peakMiB, last.rssMiB.worker?.peakMiB),
        g(first.rssMiB.temporal?.peakMiB, last.rssMiB.temporal?.peakMiB),
        g(first.rssMiB.api?.peakMiB, last.rssMiB.api?.peakMiB),
        g(first.rssMiB.ferretdb?.peakMiB, last.rssMiB.ferretdb?.peakMiB),
        g(first.mongo.totalSizeMiB ?? first.mongo.storageSizeMiB, last.mongo.totalSizeMiB ?? last.mongo.storageSizeMiB),
        g(first.mongo.fileMiB, last.mongo.fileMiB),
        g(first.temporalDbFileMiB, last.temporalDbFileMiB),
      ]);
    }
    out.push(
      table(
        [
          [
            'active',
            'created',
            'window s',
            'refreshed',
            'lag s',
            '',
            '',
            '',
            'worker RSS MiB',
            'Temporal RSS MiB',
            'API RSS',
            'FerretDB RSS',
            'MongoDB',
            'FerretDB file',
            'Temporal db',
          ],
          [
            '',
            'per s',
            '(refreshes/s)',
            '',
            'p50',
            'p95',
            'p99',
            'max',
            'start / peak / end',
            'start / peak / end',
            'peak MiB',
            'peak MiB',
            'dbStats MiB',
            'MiB',
            'file MiB',
          ],
        ],
        rows,
      ),
    );
    for (const p of scale.phases) {
      out.push(
        `  ${p.activeConnections}: achieved ${p.achievedPerSecond} refreshes/s; CPU during the window (cores): ${cpuLine(p.windowCpuCores)}; ` +
          `during creation + window: ${cpuLine(Object.fromEntries(Object.entries(p.rssMiB).map(([k, v]) => [k, v.cpuCores])))}`,
      );
      out.push(
        `  ${p.activeConnections}: lag p99 by tenth of the window (s): ${p.lagP99ByWindowTenth.join(' ')}` +
          (p.startedLate
            ? `; ${p.startedLate} workflows started after their planned refresh (left out of the lag)`
            : '') +
          (p.notRefreshed || p.needsReauth
            ? `; ${p.notRefreshed} not refreshed by the last read (their lag counted as of then: a lower bound), ${p.needsReauth} needs_reauth`
            : ''),
      );
    }
    out.push(
      '  connectflow/direct, connectflow/bare-Temporal: n/a (neither contender keeps connections fresh); the last row is the growth from the first phase',
    );
    out.push(`  ${scale.method}`);
  }

  if (proxy) {
    out.push(
      '',
      'Part 4: the proxy: GET /api/connections/:id/proxy/items against GET <resource server>/api/items with the token, same server, same run',
    );
    out.push(
      table(
        [
          [
            'concurrency',
            'direct p50',
            'proxy p50',
            'added p50',
            'direct p99',
            'proxy p99',
            'added p99',
            'direct /s',
            'proxy /s',
            'proxy/direct',
          ],
        ],
        proxy.levels.map((l) => [
          l.concurrency,
          l.direct.p50,
          l.proxy.p50,
          l.addedP50Ms,
          l.direct.p99,
          l.proxy.p99,
          l.addedP99Ms,
          l.directPerSecond,
          l.proxyPerSecond,
          l.throughputOverDirect,
        ]),
      ),
    );
    out.push(
      `  floor at concurrency 1: an authenticated API call whose only I/O is the API-token lookup ` +
        `(GET /api/connection_types?q=...): p50 ${proxy.authenticatedFloor.p50} ms, p99 ${proxy.authenticatedFloor.p99} ms`,
    );
    for (const l of proxy.levels) {
      const others = Object.entries(l.otherStatuses);
      if (others.length)
        out.push(
          `  concurrency ${l.concurrency}: answers other than 200: ${others.map(([k, v]) => `${k}×${v}`).join(', ')}`,
        );
      if (l.proxyCpuCores)
        out.push(`  CPU during the proxied run at concurrency ${l.concurrency} (cores): ${cpuLine(l.proxyCpuCores)}`);
    }
    const e = proxy.expired;
    out.push(
      `  ${e.requests} simultaneous proxied calls on an expired token: ${e.answered200}/${e.requests} answered 200, ` +
        `${e.tokenEndpointCalls} token-endpoint call(s), p50 ${e.latency.p50} ms, p99 ${e.latency.p99} ms`,
    );
    out.push(`  ${proxy.setup}`);
  }

  if (results.capacity) out.push('', ...capacityReport(results.capacity));
  if (results.runLength) out.push('', ...runLengthReport(results.runLength));

  if (results.targets.length) {
    out.push('', 'Targets');
    out.push(
      table(
        [['', 'target', 'measured']],
        results.targets.map((t) => [t.met ? 'met' : 'MISSED', t.target, t.measured]),
      ),
    );
  }
  for (const f of results.failures) out.push('', `${f.part} FAILED: ${f.error}`);
  out.push('', `wall time ${results.wallSeconds} s`);
  return out.join('\n');
}

function runLengthReport(part: RunLengthPartResult): string[] {
  const names = [...new Set(part.steps.flatMap((s) => Object.keys(s.cpuMsPerRefresh)))].filter(
    (n) => n !== 'other processes',
  );
  const out = [
    `Run length: CPU per refresh in the steady state (a refresh every ${part.cycleSeconds} s), by CONNECTFLOW_REFRESHES_PER_RUN`,
    table(
      [
        [
          'contender',
          'refreshes per run',
          'planned /s',
          'achieved /s',
          'refreshes',
          'server ms/refresh',
          ...names.map((n) => `${n} ms`),
          'worker RSS peak MiB',
        ],
      ],
      part.steps.map((s) => [
        s.contender,
        s.refreshesPerRun,
        s.plannedPerSecond,
        s.achievedPerSecond,
        s.refreshes,
        s.serverCpuMsPerRefresh,
        ...names.map((n) => s.cpuMsPerRefresh[n] ?? ''),
        s.workerRssPeakMiB === undefined ? '' : round(s.workerRssPeakMiB),
      ]),
    ),
  ];
  for (const s of part.steps)
    if (s.postgres) out.push(`  ${s.contender}, ${s.refreshesPerRun} per run: ${postgresLine(s.postgres)}`);
  out.push(`  ${part.method}`);
  return out;
}

/** PostgreSQL's cores by database, busy backends and the largest wait events. */
function postgresLine(pg: PostgresActivity): string {
  const cores = Object.entries(pg.cpuCores)
    .map(([role, c]) => `${role} ${c}`)
    .join(', ');
  const busy = Object.entries(pg.activeBackends)
    .map(([role, n]) => `${role} ${n}`)
    .join(', ');
  const waits = pg.waits
    .slice(0, 6)
    .map((w) => `${w.wait} ${Math.round(w.share * 1000) / 10}%`)
    .join(', ');
  const sessions = Object.entries(pg.newSessionsPerSecond)
    .map(([role, n]) => `${role} ${n}`)
    .join(', ');
  return (
    `PostgreSQL cores by database: ${cores}; busy backends (mean): ${busy}; ` +
    `busy samples by wait (${pg.samples} samples): ${waits}; new sessions /s: ${sessions || 'none'}`
  );
}

function capacityReport(capacity: CapacityPartResult): string[] {
  const out = [
    `Capacity: the highest planned refresh rate that holds (lag p99 <= 5 s, >= 95% achieved) over ${capacity.windowSeconds} s windows`,
    table(
      [
        [
          'workers',
          'planned /s',
          'connections',
          'achieved /s',
          'lag p99 s',
          'held',
          'server CPU ms/refresh',
          'server RSS MiB/1,000',
        ],
      ],
      capacity.runs.flatMap((run) =>
        run.steps.map((s) => [
          run.workers,
          s.plannedPerSecond,
          s.connections,
          s.achievedPerSecond,
          s.lagP99Seconds,
          s.held ? 'yes' : 'no',
          s.serverCpuMsPerRefresh,
          s.serverRssMiBPer1000,
        ]),
      ),
    ),
  ];
  for (const run of capacity.runs)
    for (const s of run.steps) {
      out.push(`  ${run.workers} worker(s), ${s.plannedPerSecond}/s: CPU (cores) ${cpuLine(s.phase.windowCpuCores)}`);
      if (s.phase.postgres) out.push(`    ${postgresLine(s.phase.postgres)}`);
    }
  for (const run of capacity.runs) {
    out.push(
      `  ${run.workers} worker(s): ${run.capacityPerSecond} refreshes/s sustained; connections held at that rate (the product's default margin): ` +
        run.connectionsByLifetime
          .map(
            (c) =>
              `${c.lifetime} tokens ${c.connections.toLocaleString('en-US')} (a refresh every ${c.refreshEverySeconds} s)`,
          )
          .join(', '),
    );
  }
  out.push('  cost curve:', costCurveMarkdown(capacity), `  ${capacity.method}`);
  return out;
}
