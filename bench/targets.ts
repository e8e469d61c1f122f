import type { BenchResults } from './harness/runBench.js';
import type { BenchSizes } from './harness/sizes.js';
import { ratio } from './harness/stats.js';
import { flowLevel } from './parts/flows.js';

/**
 * What connectflow is held to: against the direct and the bare-Temporal contenders (ratios of the
 * figures the report prints side by side) and on its own. Every run checks each one as met or missed.
 */
export const TARGETS = {
  /** whole-flow p99 at the target concurrency, at most this many times direct's */
  flowP99OverDirect: 2,
  /** flows per second at the target concurrency, at least this share of direct's */
  throughputOverDirect: 0.5,
  /** flows per second at every concurrency above 1, at least this share of bare Temporal's */
  throughputOverBareTemporal: 0.8,
  /** concurrent refreshes of one expired connection make exactly this many token-endpoint calls */
  coalescedTokenCalls: 1,
  /** their p99 exceeds one provider round trip by at most this */
  coalescingOverRoundTripMs: 100,
  /** latency the proxy adds to a direct call at concurrency 1, p50 and p99 */
  proxyAddedP50Ms: 1,
  proxyAddedP99Ms: 5,
  /** proxied calls per second at the proxy part's concurrency, at least this share of direct's */
  proxyThroughputOverDirect: 0.8,
  /** simultaneous proxied calls on an expired token make exactly this many token-endpoint calls */
  proxyExpiredTokenCalls: 1,
  /** the worker's peak RSS with the largest scale phase active */
  workerRssMiB: 512,
  /** refresh lag p99 (actual − planned) in the largest scale phase */
  refreshLagP99Seconds: 5,
} as const;

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

export function checkTargets(results: BenchResults, sizes: BenchSizes): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { flows, coalescing, proxy, scale } = results;
  if (flows) {
    const c = sizes.flows.targetConcurrency;
    const [cf, direct] = (['connectflow', 'direct'] as const).map((n) => flowLevel(flows, n, c));
    const p99 = ratio(cf?.total.p99, direct?.total.p99);
    checks.push({
      target: `whole-flow p99 <= ${TARGETS.flowP99OverDirect}x direct at concurrency ${c}`,
      measured: `${cf?.total.p99} ms vs ${direct?.total.p99} ms = ${p99}x`,
      met: p99 <= TARGETS.flowP99OverDirect,
    });
    const tput = ratio(cf?.flowsPerSecond, direct?.flowsPerSecond);
    checks.push({
      target: `throughput >= ${TARGETS.throughputOverDirect}x direct at concurrency ${c}`,
      measured: `${cf?.flowsPerSecond}/s vs ${direct?.flowsPerSecond}/s = ${tput}x`,
      met: tput >= TARGETS.throughputOverDirect,
    });
    for (const level of sizes.flows.concurrency.filter((l) => l > 1)) {
      const [cfL, bareL] = [flowLevel(flows, 'connectflow', level), flowLevel(flows, 'bare-temporal', level)];
      const r = ratio(cfL?.flowsPerSecond, bareL?.flowsPerSecond);
      checks.push({
        target: `throughput >= ${TARGETS.throughputOverBareTemporal}x bare-Temporal at concurrency ${level}`,
        measured: `${cfL?.flowsPerSecond}/s vs ${bareL?.flowsPerSecond}/s = ${r}x`,
        met: r >= TARGETS.throughputOverBareTemporal,
      });
    }
  }
  if (coalescing) {
    checks.push({
      target: `coalescing: ${coalescing.requests} concurrent refreshes make exactly ${TARGETS.coalescedTokenCalls} token-endpoint call`,
      measured: `${coalescing.tokenEndpointCalls} call(s), ${coalescing.answered200}/${coalescing.requests} answered 200, ${coalescing.distinctAccessTokens} distinct token(s)`,
      met:
        coalescing.tokenEndpointCalls === TARGETS.coalescedTokenCalls &&
        coalescing.answered200 === coalescing.requests &&
        coalescing.distinctAccessTokens === 1,
    });
    checks.push({
      target: `coalescing: p99 <= one provider round trip + ${TARGETS.coalescingOverRoundTripMs} ms`,
      measured: `p99 ${coalescing.latency.p99} ms vs round trip ${coalescing.providerRoundTrip.p50} ms + ${TARGETS.coalescingOverRoundTripMs}`,
      met: coalescing.latency.p99 <= coalescing.providerRoundTrip.p50 + TARGETS.coalescingOverRoundTripMs,
    });
  }
  if (proxy) {
    const [one, many] = [proxy.levels[0], proxy.levels.at(-1)];
    checks.push({
      target: `proxy: added latency at concurrency 1 <= ${TARGETS.proxyAddedP50Ms} ms p50 and <= ${TARGETS.proxyAddedP99Ms} ms p99`,
      measured: `+${one?.addedP50Ms} ms p50, +${one?.addedP99Ms} ms p99 (direct ${one?.direct.p50} / ${one?.direct.p99} ms)`,
      met: one !== undefined && one.addedP50Ms <= TARGETS.proxyAddedP50Ms && one.addedP99Ms <= TARGETS.proxyAddedP99Ms,
    });
    checks.push({
      target: `proxy: throughput >= ${TARGETS.proxyThroughputOverDirect}x direct at concurrency ${many?.concurrency}`,
      measured: `${many?.proxyPerSecond}/s vs ${many?.directPerSecond}/s = ${many?.throughputOverDirect}x`,
      met: (many?.throughputOverDirect ?? 0) >= TARGETS.proxyThroughputOverDirect,
    });
    const e = proxy.expired;
    checks.push({
      target: `proxy: ${e.requests} simultaneous calls on an expired token make exactly ${TARGETS.proxyExpiredTokenCalls} token-endpoint call`,
      measured: `${e.tokenEndpointCalls} call(s), ${e.answered200}/${e.requests} answered 200`,
      met: e.tokenEndpointCalls === TARGETS.proxyExpiredTokenCalls && e.answered200 === e.requests,
    });
  }
  const last = scale?.phases.at(-1);
  if (last) {
    const rss = last.rssMiB.worker?.peakMiB;
    checks.push({
      target: `${last.activeConnections} connections: worker RSS <= ${TARGETS.workerRssMiB} MiB`,
      measured: `peak ${rss} MiB (end ${last.rssMiB.worker?.lastMiB} MiB)`,
      met: rss !== undefined && rss <= TARGETS.workerRssMiB,
    });
    checks.push({
      target: `${last.activeConnections} connections: refresh lag p99 <= ${TARGETS.refreshLagP99Seconds} s`,
      measured: `p99 ${last.lagSeconds.p99} s (p50 ${last.lagSeconds.p50} s), ${last.notRefreshed} not refreshed, ${last.needsReauth} needs_reauth`,
      met: last.lagSeconds.p99 <= TARGETS.refreshLagP99Seconds && last.notRefreshed === 0 && last.needsReauth === 0,
    });
  }
  return checks;
}
