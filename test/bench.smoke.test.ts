import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { formatReport } from '../bench/harness/report.js';
import { DEFAULT_PARTS, runBench, type BenchResults } from '../bench/harness/runBench.js';
import { SMOKE } from '../bench/harness/sizes.js';

/**
 * `npm run bench` at the least size that still runs every part, so the bench cannot rot. It reuses
 * the suite's Temporal dev server and FerretDB (no second Temporal): its own API, worker, demo
 * providers and contenders, on its own task queue and databases, which it removes at the end.
 * Behaviour only: flows completed, exactly one token-endpoint call, every connection refreshed.
 * Never timings.
 */
const stack = inject('stack');

describe('bench smoke (tiny sizes on the suite servers)', () => {
  let results: BenchResults;
  const lines: string[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'connectflow-bench-smoke-'));
    const suffix = randomBytes(4).toString('hex');
    try {
      results = await runBench({
        sizes: SMOKE,
        parts: [...DEFAULT_PARTS, 'capacity', 'run-length'],
        dataDir,
        servers: { temporalAddress: stack.temporalAddress, mongoUri: stack.mongoUri },
        taskQueue: `bench-smoke-${suffix}`,
        database: `bench_smoke_${suffix}`,
        cleanUp: true,
        log: (line) => lines.push(line),
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nbench log:\n${lines.join('\n')}`, { cause: err });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 210_000);

  it('drives every contender through every flow at every concurrency, the real code exchange included', () => {
    const levels = results.flows!.levels;
    expect(levels).toHaveLength(3 * SMOKE.flows.concurrency.length);
    for (const level of levels) {
      expect({
        contender: level.contender,
        concurrency: level.concurrency,
        completed: level.completed,
        failed: level.failed,
        errors: level.errors,
      }).toEqual({
        contender: level.contender,
        concurrency: level.concurrency,
        completed: SMOKE.flows.flowsPerLevel(level.concurrency),
        failed: 0,
        errors: [],
      });
    }
    expect(new Set(levels.map((l) => l.contender))).toEqual(new Set(['direct', 'bare-temporal', 'connectflow']));
    expect(results.contenders.find((c) => c.name === 'bare-temporal')).toMatchObject({ exchangesCode: false });
    expect(
      results.contenders
        .filter((c) => c.exchangesCode)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['connectflow', 'direct']);
  });

  it('coalesces concurrent refreshes of one expired connection into exactly one token-endpoint call', () => {
    const c = results.coalescing!;
    expect(c.requests).toBe(SMOKE.coalescing.requests);
    expect(c.answered200).toBe(SMOKE.coalescing.requests);
    expect(c.otherStatuses).toEqual({});
    expect(c.tokenEndpointCalls).toBe(1);
    expect(c.refreshGrantCalls).toBe(1);
    expect(c.distinctAccessTokens).toBe(1);
    expect(c.newTokenIssued).toBe(true);
    expect(c.providerRoundTrip.n).toBe(SMOKE.coalescing.roundTrips);
  });

  it('proxies to the resource server directly and through connectflow; one token call for a burst on an expired token', () => {
    const p = results.proxy!;
    expect(p.levels.map((l) => l.concurrency)).toEqual([1, SMOKE.proxy.concurrency]);
    for (const l of p.levels) {
      expect(l.otherStatuses).toEqual({});
      expect([l.direct.n, l.proxy.n]).toEqual(
        l.concurrency === 1
          ? [SMOKE.proxy.sequential, SMOKE.proxy.sequential]
          : [SMOKE.proxy.concurrent, SMOKE.proxy.concurrent],
      );
    }
    expect(p.expired).toMatchObject({
      requests: SMOKE.proxy.expiredBurst,
      answered200: SMOKE.proxy.expiredBurst,
      tokenEndpointCalls: 1,
    });
  });

  it('refreshes every minted connection through its own workflow, in every phase', () => {
    const phases = results.scale!.phases;
    expect(phases.map((p) => p.activeConnections)).toEqual(SMOKE.scale.phases);
    for (const p of phases) {
      expect({ refreshed: p.refreshed, notRefreshed: p.notRefreshed, needsReauth: p.needsReauth }).toEqual({
        refreshed: p.activeConnections,
        notRefreshed: 0,
        needsReauth: 0,
      });
      expect(p.lagSeconds.n + p.startedLate).toBe(p.activeConnections);
      expect(p.rssMiB.worker?.peakMiB).toBeGreaterThan(0);
    }
  });

  it('steps the capacity mode through its rates with each worker count, refreshing every connection of each step', () => {
    const { runs } = results.capacity!;
    expect(runs.map((r) => r.workers)).toEqual(SMOKE.capacity.workers);
    for (const run of runs) {
      expect(run.steps[0]!.plannedPerSecond).toBe(SMOKE.capacity.rates[0]);
      for (const step of run.steps) {
        expect(step.connections).toBe(Math.round(step.plannedPerSecond * SMOKE.capacity.windowSeconds));
        expect({ refreshed: step.phase.refreshed, notRefreshed: step.phase.notRefreshed }).toEqual({
          refreshed: step.connections,
          notRefreshed: 0,
        });
      }
      expect(run.connectionsByLifetime.map((c) => c.lifetime)).toEqual(['10 minutes', '1 hour', '24 hours']);
    }
    expect(runs[1]!.steps[0]!.phase.rssMiB['worker 2']?.peakMiB).toBeGreaterThan(0);
  });

  it('measures the steady state of refreshing at each run length, connectflow then the bare loop, cycle after cycle', () => {
    const { steps } = results.runLength!;
    expect(steps.map((s) => [s.contender, s.refreshesPerRun])).toEqual(
      SMOKE.runLength.refreshesPerRun.flatMap((n) => [
        ['connectflow', n],
        ['bare Temporal', n],
      ]),
    );
    for (const step of steps) {
      // every connection refreshes once a cycle: at least one cycle's worth lands in the measured cycles
      expect(step.refreshes).toBeGreaterThanOrEqual(SMOKE.runLength.connections);
      expect(step.cpuMsPerRefresh.worker).toBeGreaterThan(0);
    }
  });

  it('reports every part and every target', () => {
    expect(results.failures).toEqual([]);
    const report = formatReport(results);
    for (const part of ['Part 1', 'Part 2', 'Part 3', 'Part 4', 'Capacity', 'Run length', 'Targets'])
      expect(report).toContain(part);
    expect(results.targets.map((t) => t.target)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/whole-flow p99/),
        expect.stringMatching(/0\.5x direct/),
        expect.stringMatching(/0\.8x bare-Temporal/),
        expect.stringMatching(/exactly 1 token-endpoint call/),
        expect.stringMatching(/round trip \+ 100 ms/),
        expect.stringMatching(/worker RSS/),
        expect.stringMatching(/refresh lag p99/),
      ]),
    );
    expect(results.targets.find((t) => /exactly 1 token-endpoint call/.test(t.target))?.met).toBe(true);
  });
});
