import { Agent, request } from 'undici';
import { readCredentials } from '../../lib/store/readCredentials.js';
import { PROXY_TYPE, type BenchStack } from '../harness/benchStack.js';
import { RssSampler } from '../harness/procStats.js';
import { retrying } from '../harness/retry.js';
import { ratio, round, summarize, type Summary } from '../harness/stats.js';
import { runOneFlow } from './flows.js';

export interface ProxyLevelResult {
  concurrency: number;
  direct: Summary;
  proxy: Summary;
  /** proxy − direct, per percentile */
  addedP50Ms: number;
  addedP99Ms: number;
  directPerSecond: number;
  proxyPerSecond: number;
  /** proxy throughput / direct throughput */
  throughputOverDirect: number;
  /** answers other than 200, by status (0 = the call failed) */
  otherStatuses: Record<string, number>;
  /** CPU each process used during the proxied run, in cores */
  proxyCpuCores?: Record<string, number | undefined>;
}

export interface ProxyPartResult {
  setup: string;
  /**
   * At concurrency 1, beside the two: GET /api/connection_types?q=<type> with the API token, an API
   * call whose only I/O is the API-token lookup every authenticated request makes (the proxy's floor).
   */
  authenticatedFloor: Summary;
  levels: ProxyLevelResult[];
  expired: {
    requests: number;
    answered200: number;
    tokenEndpointCalls: number;
    latency: Summary;
  };
}

type Call = () => Promise<number>;

/**
 * Part 4: the proxy against a direct call to the same resource server, in the same run. One
 * connection made by a real flow; GET <resource>/api/items with its access token (direct) and
 * GET /api/connections/:id/proxy/items with the API token (proxy), over one keep-alive client.
 * Concurrency 1 interleaves the two call by call; at the higher concurrency each runs its own block.
 * Then a second connection whose stored token is expired takes a burst of simultaneous proxied calls:
 * the provider's token-endpoint calls are counted around it.
 */
export async function runProxyPart(
  bench: BenchStack,
  sizes: { sequential: number; concurrent: number; concurrency: number; expiredBurst: number },
): Promise<ProxyPartResult> {
  const { connectflow, resource } = bench;
  const provider = bench.stack.providers.get(PROXY_TYPE)!;
  const client = new Agent({ keepAliveTimeout: 30_000 });
  try {
    const { connectionId } = await runOneFlow(connectflow, PROXY_TYPE);
    const doc = await retrying('reading the connection', () => bench.store.connections.findOne({ _id: connectionId }));
    const accessToken = readCredentials(bench.keyRing, doc!).access_token;
    const get = (url: string, token: string): Call => {
      const headers = { authorization: `Bearer ${token}` };
      return async () => {
        const res = await request(url, { dispatcher: client, headers });
        await res.body.dump();
        return res.statusCode;
      };
    };
    const direct = get(`${resource.url}/api/items`, accessToken);
    const proxy = (id: string) => get(`${connectflow.baseUrl}/api/connections/${id}/proxy/items`, connectflow.apiToken);
    const proxied = proxy(connectionId);

    // Unmeasured: JIT, the proxy's token cache, keep-alive sockets on both paths.
    for (let i = 0; i < Math.max(50, sizes.sequential / 4); i++) {
      await direct();
      await proxied();
    }

    const floor = get(`${connectflow.baseUrl}/api/connection_types?q=${PROXY_TYPE}`, connectflow.apiToken);
    const sequential = {
      direct: [] as number[],
      proxy: [] as number[],
      floor: [] as number[],
      statuses: {} as Record<string, number>,
    };
    const busyMs = { direct: 0, proxy: 0, floor: 0 };
    for (let i = 0; i < sizes.sequential; i++) {
      for (const [name, call] of [
        ['direct', direct],
        ['proxy', proxied],
        ['floor', floor],
      ] as const) {
        const t = performance.now();
        const status = await call().catch(() => 0);
        const ms = performance.now() - t;
        sequential[name].push(ms);
        busyMs[name] += ms;
        if (status !== 200)
          sequential.statuses[`${name} ${status}`] = (sequential.statuses[`${name} ${status}`] ?? 0) + 1;
      }
    }
    const levels = [level(1, sequential.direct, sequential.proxy, busyMs.direct, busyMs.proxy, sequential.statuses)];

    const directRun = await burst(direct, sizes.concurrent, sizes.concurrency);
    const sampler = new RssSampler({
      'connectflow API': bench.pids.api,
      ferretdb: bench.pids.ferretdb,
      'bench (driver + providers)': process.pid,
    }).start();
    const proxyRun = await burst(proxied, sizes.concurrent, sizes.concurrency);
    const proxyCpuCores = Object.fromEntries(Object.entries(sampler.stop()).map(([k, v]) => [k, v.cpuCores]));
    const statuses: Record<string, number> = {};
    for (const [name, run] of [
      ['direct', directRun],
      ['proxy', proxyRun],
    ] as const) {
      for (const [status, n] of Object.entries(run.statuses)) if (status !== '200') statuses[`${name} ${status}`] = n;
    }
    levels.push({
      ...level(sizes.concurrency, directRun.latencies, proxyRun.latencies, directRun.wallMs, proxyRun.wallMs, statuses),
      proxyCpuCores,
    });

    // One token-endpoint call for a burst on an expired token.
    const stale = await runOneFlow(connectflow, PROXY_TYPE);
    await retrying('expiring the token', () =>
      bench.store.connections.updateOne(
        { _id: stale.connectionId },
        { $set: { tokenExpiresAt: new Date(Date.now() - 60_000) } },
      ),
    );
    const tokenCallsBefore = provider.counts.token;
    const expiredRun = await burst(proxy(stale.connectionId), sizes.expiredBurst, sizes.expiredBurst);
    return {
      setup:
        `connections made by real flows at their own demo provider ("${PROXY_TYPE}", 1-hour tokens); its API a demo ` +
        'resource server in the bench process that introspects each new token at the provider and keeps the ' +
        'verdict (so both paths cost the same there); one undici keep-alive client in the bench process for both; ' +
        'the expired burst: a second connection whose stored tokenExpiresAt was set 60 s in the past, never proxied before',
      authenticatedFloor: summarize(sequential.floor, 2),
      levels,
      expired: {
        requests: sizes.expiredBurst,
        answered200: expiredRun.statuses['200'] ?? 0,
        tokenEndpointCalls: provider.counts.token - tokenCallsBefore,
        latency: summarize(expiredRun.latencies),
      },
    };
  } finally {
    await client.close();
  }
}

function level(
  concurrency: number,
  directMs: number[],
  proxyMs: number[],
  directWallMs: number,
  proxyWallMs: number,
  otherStatuses: Record<string, number>,
): ProxyLevelResult {
  const direct = summarize(directMs, 2);
  const proxy = summarize(proxyMs, 2);
  const perSecond = (n: number, wallMs: number) => round((n / wallMs) * 1000, 0);
  const directPerSecond = perSecond(directMs.length, directWallMs);
  const proxyPerSecond = perSecond(proxyMs.length, proxyWallMs);
  return {
    concurrency,
    direct,
    proxy,
    addedP50Ms: round(proxy.p50 - direct.p50, 2),
    addedP99Ms: round(proxy.p99 - direct.p99, 2),
    directPerSecond,
    proxyPerSecond,
    throughputOverDirect: ratio(proxyPerSecond, directPerSecond),
    otherStatuses,
  };
}

/** `total` calls by `concurrency` workers: each latency, the statuses and the wall time. */
async function burst(call: Call, total: number, concurrency: number) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        const status = await call().catch(() => 0);
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { latencies, statuses, wallMs: performance.now() - t0 };
}
