import * as oauth from 'oauth4webapi';
import { readCredentials } from '../../lib/store/readCredentials.js';
import { COALESCE_TYPE, type BenchStack } from '../harness/benchStack.js';
import { mintTokens } from '../harness/oidcStorage.js';
import { retrying } from '../harness/retry.js';
import { RssSampler } from '../harness/procStats.js';
import { ratio, round, summarize, type Summary } from '../harness/stats.js';
import { callApi, runOneFlow } from './flows.js';

export interface CoalescingResult {
  requests: number;
  /** how the connection was made and made stale */
  setup: string;
  answered200: number;
  otherStatuses: Record<string, number>;
  /** distinct access tokens in the 200 answers (1 = everyone got the one refreshed token) */
  distinctAccessTokens: number;
  newTokenIssued: boolean;
  /** token-endpoint calls at the connection's provider during the burst */
  tokenEndpointCalls: number;
  refreshGrantCalls: number;
  wallMs: number;
  /** CPU each process used during the burst, in cores */
  cpuCores: Record<string, number | undefined>;
  latency: Summary;
  /** the same number of concurrent GET /healthz at the same API: what this many requests cost with no work at all */
  httpFloor: Summary;
  /** direct refresh-token grants (oauth4webapi) against the same provider, one after the other */
  providerRoundTrip: Summary;
  p99MinusRoundTripMs: number;
  p99OverRoundTrip: number;
}

/**
 * Part 2: one connection (made by a real flow at its own demo provider, so that provider's counts
 * are this part's alone) whose stored access token is expired; `requests` concurrent
 * POST /api/connections/:id/refresh; the provider's token-endpoint calls counted around the burst.
 * Then one provider round trip: a direct refresh-token grant with oauth4webapi, same provider and client.
 */
export async function runCoalescingPart(
  bench: BenchStack,
  sizes: { requests: number; roundTrips: number },
): Promise<CoalescingResult> {
  const { connectflow } = bench;
  const provider = bench.stack.providers.get(COALESCE_TYPE)!;
  const { connectionId } = await runOneFlow(connectflow, COALESCE_TYPE);
  const expiredAt = new Date(Date.now() - 60_000);
  await retrying('expiring the token', () =>
    bench.store.connections.updateOne({ _id: connectionId }, { $set: { tokenExpiresAt: expiredAt } }),
  );
  const before = readCredentials(
    bench.keyRing,
    (await retrying('reading the connection', () => bench.store.connections.findOne({ _id: connectionId })))!,
  );
  const countsBefore = { token: provider.counts.token, refresh: provider.counts.tokenByGrant.refresh_token ?? 0 };

  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const tokens = new Set<string>();
  const sampler = new RssSampler({
    'connectflow API': bench.pids.api,
    'connectflow worker': bench.pids.worker,
    temporal: bench.pids.temporal,
    ferretdb: bench.pids.ferretdb,
    'bench (driver + providers)': process.pid,
  }).start();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sizes.requests }, async () => {
      const t = performance.now();
      const answer = await callApi(connectflow, 'POST', `/api/connections/${connectionId}/refresh`).catch(
        (err: Error) => ({ status: 0, body: err.message }) as const,
      );
      latencies.push(performance.now() - t);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (answer.status === 200) tokens.add(answer.body.credentials.access_token);
    }),
  );
  const wallMs = performance.now() - t0;
  const cpuCores = Object.fromEntries(Object.entries(sampler.stop()).map(([k, v]) => [k, v.cpuCores]));
  const tokenEndpointCalls = provider.counts.token - countsBefore.token;
  const refreshGrantCalls = (provider.counts.tokenByGrant.refresh_token ?? 0) - countsBefore.refresh;

  // The HTTP floor: as many concurrent GET /healthz at the same API (no authentication, no database, no Temporal).
  const floor: number[] = [];
  await Promise.all(
    Array.from({ length: sizes.requests }, async () => {
      const t = performance.now();
      const res = await fetch(new URL('/healthz', connectflow.baseUrl)).catch(() => undefined);
      await res?.text();
      floor.push(performance.now() - t);
    }),
  );

  // One provider round trip: refresh-token grants of a grant minted at the same provider for the same client.
  const credentials = bench.config.providerApps.get(COALESCE_TYPE)!;
  const minted = await mintTokens(provider, {
    clientId: credentials.clientId,
    accountId: 'bench-round-trip',
    scope: 'read',
  });
  const issuer = new URL(provider.issuer);
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  );
  const client = { client_id: credentials.clientId };
  const clientAuth = oauth.ClientSecretBasic(credentials.clientSecret);
  let refreshToken = minted.refresh_token;
  const roundTrips: number[] = [];
  for (let i = 0; i < sizes.roundTrips + 2; i++) {
    const t = performance.now();
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure);
    const tokensNow = await oauth.processRefreshTokenResponse(as, client, response);
    if (i >= 2) roundTrips.push(performance.now() - t); // the first two warm up the connection
    refreshToken = tokensNow.refresh_token ?? refreshToken;
  }
  const latency = summarize(latencies);
  const providerRoundTrip = summarize(roundTrips);
  const { 200: ok = 0, ...otherStatuses } = statuses;
  return {
    requests: sizes.requests,
    setup:
      `connection made by a real flow at its own demo provider ("${COALESCE_TYPE}", 1-hour tokens); its stored ` +
      'tokenExpiresAt then set 60 s in the past; its workflow running (timer for the planned refresh); ' +
      'requests fired at once from one process (one socket each)',
    answered200: ok,
    otherStatuses,
    distinctAccessTokens: tokens.size,
    newTokenIssued: tokens.size > 0 && !tokens.has(before.access_token),
    tokenEndpointCalls,
    refreshGrantCalls,
    wallMs: round(wallMs),
    cpuCores,
    latency,
    httpFloor: summarize(floor),
    providerRoundTrip,
    p99MinusRoundTripMs: round(latency.p99 - providerRoundTrip.p50),
    p99OverRoundTrip: ratio(latency.p99, providerRoundTrip.p50),
  };
}
