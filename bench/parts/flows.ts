import type { Contender, ContenderName } from '../harness/benchStack.js';
import { authorizeOverHttp } from '../harness/httpAuthorizer.js';
import { RssSampler } from '../harness/procStats.js';
import { round, summarize, type Summary } from '../harness/stats.js';

export interface ApiAnswer {
  status: number;
  body: any;
}

export async function callApi(
  contender: Pick<Contender, 'baseUrl' | 'apiToken'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const res = await fetch(new URL(path, contender.baseUrl), {
    method,
    headers: {
      authorization: `Bearer ${contender.apiToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** One Rivery flow, timed step by step (milliseconds). */
export interface FlowSample {
  /** POST /api/oauth2 sent → auth_uri received */
  postMs: number;
  /** the driver's sign-in and consent at the provider, up to the redirect to the callback */
  providerMs: number;
  /** callback request sent → response with the outcome */
  callbackMs: number;
  /** POST /api/oauth2/credentials until a 200 (202 answers polled every 10 ms) */
  credentialsMs: number;
  /** POST /api/oauth2 sent → credentials 200 */
  totalMs: number;
  credentialsPolls: number;
  connectionId: string;
}

const since = (t: number) => performance.now() - t;

/** Drives one flow: new request, sign-in and consent at the provider, the callback, the credentials. */
export async function runOneFlow(contender: Contender, provider = contender.provider): Promise<FlowSample> {
  const t0 = performance.now();
  const created = await callApi(contender, 'POST', '/api/oauth2', {
    datasource_id: provider,
    validity_duration: 600,
  });
  if (created.status !== 200)
    throw new Error(`POST /api/oauth2 answered ${created.status}: ${JSON.stringify(created.body)}`);
  const postMs = since(t0);

  const t1 = performance.now();
  const callbackBase = new URL('/oauth2/callback', contender.baseUrl);
  const { callbackUrl } = await authorizeOverHttp(created.body.auth_uri, {
    isCallback: (url) => url.origin === callbackBase.origin && url.pathname === callbackBase.pathname,
  });
  const providerMs = since(t1);

  const t2 = performance.now();
  const res = await fetch(callbackUrl, { headers: { accept: 'application/json' } });
  const outcome = (await res.json().catch(() => ({}))) as { connected?: boolean; connection_id?: string };
  const callbackMs = since(t2);
  if (res.status !== 200 || outcome.connected !== true)
    throw new Error(`callback answered ${res.status}: ${JSON.stringify(outcome)}`);

  const t3 = performance.now();
  let polls = 0;
  for (;;) {
    const credentials = await callApi(contender, 'POST', '/api/oauth2/credentials', { pull_id: created.body.pull_id });
    polls++;
    if (credentials.status === 200) {
      if (!credentials.body.access_token) throw new Error('credentials without an access_token');
      break;
    }
    if (credentials.status !== 202 || polls > 1000) {
      throw new Error(
        `POST /api/oauth2/credentials answered ${credentials.status}: ${JSON.stringify(credentials.body)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const credentialsMs = since(t3);
  return {
    postMs,
    providerMs,
    callbackMs,
    credentialsMs,
    totalMs: since(t0),
    credentialsPolls: polls,
    connectionId: outcome.connection_id!,
  };
}

export interface FlowLevelResult {
  contender: ContenderName;
  concurrency: number;
  flows: number;
  completed: number;
  failed: number;
  errors: string[];
  wallSeconds: number;
  flowsPerSecond: number;
  post: Summary;
  provider: Summary;
  callback: Summary;
  credentials: Summary;
  total: Summary;
  /** flows whose credentials needed more than one request (202 first) */
  credentialsRepolled: number;
  /** CPU each process used during the level, in cores (2 = both cores of this machine busy) */
  cpuCores: Record<string, number | undefined>;
}

/** `flows` flows by `concurrency` closed-loop virtual users (each starts its next flow when one ends). */
export async function runFlowLevel(
  contender: Contender,
  concurrency: number,
  flows: number,
  pids: Record<string, number | undefined> = {},
): Promise<FlowLevelResult> {
  const sampler = new RssSampler(pids, 5_000).start();
  const samples: FlowSample[] = [];
  const errors: string[] = [];
  let next = 0;
  const started = performance.now();
  const user = async () => {
    while (next < flows) {
      next++;
      try {
        samples.push(await runOneFlow(contender));
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, flows) }, user));
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuCores = Object.fromEntries(Object.entries(sampler.stop()).map(([k, v]) => [k, v.cpuCores]));
  const pick = (k: keyof Omit<FlowSample, 'connectionId' | 'credentialsPolls'>) => summarize(samples.map((s) => s[k]));
  return {
    contender: contender.name,
    concurrency,
    flows,
    completed: samples.length,
    failed: errors.length,
    errors: [...new Set(errors)].slice(0, 5),
    wallSeconds: round(wallSeconds, 2),
    flowsPerSecond: round(samples.length / wallSeconds, 2),
    post: pick('postMs'),
    provider: pick('providerMs'),
    callback: pick('callbackMs'),
    credentials: pick('credentialsMs'),
    total: pick('totalMs'),
    credentialsRepolled: samples.filter((s) => s.credentialsPolls > 1).length,
    cpuCores,
  };
}

export interface FlowsPartResult {
  levels: FlowLevelResult[];
  warmupFlows: number;
  order: ContenderName[];
}

/**
 * Part 1: every contender at every concurrency level, the contenders one after the other at each
 * level (so all of them see the same state of the servers), after a sequential warm-up each.
 */
export async function runFlowsPart(
  contenders: Contender[],
  sizes: { concurrency: number[]; flowsPerLevel: (c: number) => number; warmup: number },
  log: (line: string) => void,
  pids: Record<string, number | undefined> = {},
): Promise<FlowsPartResult> {
  for (const contender of contenders) {
    for (let i = 0; i < sizes.warmup; i++) await runOneFlow(contender);
  }
  const levels: FlowLevelResult[] = [];
  for (const concurrency of sizes.concurrency) {
    for (const contender of contenders) {
      const flows = sizes.flowsPerLevel(concurrency);
      const result = await runFlowLevel(contender, concurrency, flows, pids);
      levels.push(result);
      log(
        `flows: ${contender.name} c=${concurrency}: ${result.completed}/${flows} in ${result.wallSeconds} s ` +
          `(${result.flowsPerSecond}/s), flow p50 ${result.total.p50} p99 ${result.total.p99} ms` +
          (result.failed ? `, ${result.failed} FAILED: ${result.errors[0]}` : ''),
      );
    }
  }
  return { levels, warmupFlows: sizes.warmup, order: contenders.map((c) => c.name) };
}

/** The figures of one contender at one concurrency level. */
export function flowLevel(
  flows: FlowsPartResult | undefined,
  name: ContenderName,
  concurrency: number,
): FlowLevelResult | undefined {
  return flows?.levels.find((l) => l.contender === name && l.concurrency === concurrency);
}
