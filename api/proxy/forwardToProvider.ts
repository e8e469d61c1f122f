import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Dispatcher } from 'undici';
import { addressAllowed, addressKind, BlockedAddressError, hostIsLoopback } from '../../lib/net/publicAddress.js';
import { apiBaseUriFor } from '../../lib/providers/apiBaseUriFor.js';
import { headersToCaller, headersToProvider, providerAuth, type HeaderMap } from '../../lib/proxy/filterHeaders.js';
import { resolveTarget } from '../../lib/proxy/resolveTarget.js';
import { DEFAULT_RETRY_LIMITS, nextRetryDelay, type AttemptOutcome } from '../../lib/proxy/retryPolicy.js';
import type { Loaded } from '../../lib/proxy/tokenCache.js';
import type { ApiContext } from '../ApiContext.js';
import { visibleTo, type Viewer } from '../connections/connectionAccess.js';
import { HttpError, notFound } from '../errors/HttpError.js';
import { isReplayable, type CallerBody } from './callerBody.js';
import { proxyTokens } from './proxyTokens.js';
import type { UpstreamAgents } from './upstreamAgents.js';

/** One call to forward, from either form (the path form or the JSON envelope). */
export interface ProxyCall {
  /** the caller: the connection must be visible to it (its account's; a user-bound token's own) */
  viewer: Viewer;
  connectionId: string;
  /** an integration's API base, used instead of the connection's */
  apiBaseUri?: string | null;
  method: string;
  /** a path (with its query) under the API base, or an absolute URL on its origin */
  target: string;
  headers: HeaderMap;
  body: CallerBody;
  /** retries of 5xx and connection errors the caller asked for (default: a few for idempotent methods) */
  retriesAsked: number | undefined;
  /** aborts the provider call when the caller goes away */
  signal: AbortSignal;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Readable;
}

/** The response header that says a response came from the provider through the proxy, and how. */
export const PROXY_HEADER = 'x-connectflow-proxy';

/**
 * Sends a caller's request to the provider of its connection with the connection's token: the token
 * from the cache (refreshed first when past its expiry), once more after one refresh on a 401, and
 * again as the retry policy allows. Refusals (URL, address, size) are 4xx before anything is sent.
 */
export function providerForwarder(ctx: ApiContext, agents: UpstreamAgents) {
  const tokens = proxyTokens(ctx);
  const timeoutMs = ctx.config.CONNECTFLOW_PROXY_TIMEOUT_SECONDS * 1000;
  const limits = {
    ...DEFAULT_RETRY_LIMITS,
    maxTotalWaitMs: ctx.config.CONNECTFLOW_PROXY_MAX_RETRY_WAIT_SECONDS * 1000,
  };

  const usable = (loaded: Loaded | null, viewer: Viewer): Loaded => {
    if (!loaded || !visibleTo(loaded.doc, viewer)) throw notFound('connection');
    if (loaded.doc.status === 'needs_reauth') {
      throw new HttpError(
        409,
        'needs_reauth',
        'the provider refused the refresh token; authorize the connection again (POST .../reauthorize)',
      );
    }
    return loaded;
  };

  return async (call: ProxyCall, log: FastifyBaseLogger): Promise<ProxyAnswer> => {
    const started = performance.now();
    let loaded = usable(await tokens.current(call.connectionId), call.viewer);
    const provider = ctx.catalog.get(loaded.doc.provider);
    const base = apiBaseUriFor(loaded.doc, provider, call.apiBaseUri);
    if (!base) {
      throw new HttpError(
        422,
        'no_api_base_uri',
        `the provider ${loaded.doc.provider} has no API base URI to proxy to`,
      );
    }
    const allowLoopback = destinationPolicy(base, ctx.config.NODE_ENV, loaded.doc.provider);
    const resolved = resolveTarget(base, call.target);
    if ('refused' in resolved) throw refusal(resolved.refused.reason, resolved.refused.message);
    const url = resolved.url;
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal) && !addressAllowed(literal, { allowLoopback })) {
      throw blocked(new BlockedAddressError(url.hostname, literal, addressKind(literal)));
    }

    const host = url.host;
    const dispatcher = agents.agent(allowLoopback);
    let refreshed = loaded.refreshed;
    let attempts = 0;
    let retries = 0; // by the retry policy (the one retry after a token refresh is not one of them)
    let waitedMs = 0;
    const finish = (status: number) =>
      log.info(
        {
          proxy: {
            method: call.method,
            connection: call.connectionId,
            provider_host: host,
            status,
            duration_ms: Math.round(performance.now() - started),
            attempts,
            token_refreshed: refreshed,
          },
        },
        'proxied request',
      );

    for (;;) {
      attempts++;
      let response: Dispatcher.ResponseData | undefined;
      let outcome: AttemptOutcome;
      try {
        response = await dispatcher.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: call.method,
          headers: upstreamHeaders(call, loaded.accessToken, provider?.proxy),
          body: bodyOf(call.body),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: call.signal,
        });
        outcome = { status: response.statusCode, retryAfter: single(response.headers['retry-after']) };
      } catch (err) {
        const failure = classify(err);
        if (!failure) throw err;
        if (failure.kind === 'blocked') {
          finish(400);
          throw blocked(failure.error);
        }
        outcome = { error: failure.kind };
        const delay = nextRetryDelay(retryInput(outcome));
        if (delay === undefined) {
          finish(failure.kind === 'timeout' ? 504 : 502);
          throw upstreamError(failure.kind, loaded.doc.provider, host, timeoutMs);
        }
        await wait(delay);
        continue;
      }

      if (response.statusCode === 401 && !refreshed && isReplayable(call.body)) {
        await response.body.dump();
        loaded = usable(await tokens.afterRejection(call.connectionId, loaded.accessToken), call.viewer);
        refreshed = true;
        continue;
      }
      const delay = nextRetryDelay(retryInput(outcome));
      if (delay !== undefined) {
        await response.body.dump();
        await wait(delay);
        continue;
      }
      finish(response.statusCode);
      return {
        status: response.statusCode,
        headers: {
          ...headersToCaller(response.headers),
          [PROXY_HEADER]: `attempts=${attempts}; token_refreshed=${refreshed}`,
        },
        body: response.body,
      };
    }

    function retryInput(outcome: AttemptOutcome) {
      return {
        method: call.method,
        outcome,
        retriesDone: retries,
        retriesAsked: call.retriesAsked,
        replayable: isReplayable(call.body),
        waitedMs,
        nowMs: Date.now(),
        random: Math.random(),
        limits,
      };
    }
    async function wait(delayMs: number) {
      retries++;
      waitedMs += delayMs;
      await sleep(delayMs, undefined, { signal: call.signal });
    }
  };
}

/** Loopback destinations only for a provider whose API base is itself on loopback, never in production; else https. */
function destinationPolicy(base: URL, nodeEnv: string, provider: string): boolean {
  const loopback = hostIsLoopback(base.hostname);
  if (loopback && nodeEnv === 'production') {
    throw new HttpError(
      422,
      'api_base_uri_refused',
      `the API base of ${provider} is on loopback, which the proxy does not call in production`,
    );
  }
  if (!loopback && base.protocol !== 'https:') {
    throw new HttpError(422, 'api_base_uri_refused', `the API base of ${provider} is not https`);
  }
  return loopback;
}

function upstreamHeaders(
  call: ProxyCall,
  accessToken: string,
  style: { authHeader?: string; authScheme?: string; headers?: Record<string, string> } | undefined,
) {
  const headers = headersToProvider(call.headers, providerAuth(accessToken, style), style?.headers);
  if (call.body.kind === 'stream') headers['content-length'] = String(call.body.length);
  return headers;
}

function bodyOf(body: CallerBody): Buffer | Readable | undefined {
  if (body.kind === 'none') return undefined;
  return body.kind === 'bytes' ? body.bytes : body.stream;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

type Failure = { kind: 'blocked'; error: BlockedAddressError } | { kind: 'connect' | 'reset' | 'timeout' };

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** What went wrong with one attempt, or undefined for errors that are not the provider's (ours, an abort). */
function classify(err: unknown): Failure | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof BlockedAddressError) return { kind: 'blocked', error: e };
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (TIMEOUT_CODES.has(code)) return { kind: 'timeout' };
    if (CONNECT_CODES.has(code)) return { kind: 'connect' };
    if (RESET_CODES.has(code)) return { kind: 'reset' };
  }
  return undefined;
}

const refusal = (reason: string, message: string) => new HttpError(400, 'proxy_refused', message, { reason });

const blocked = (err: BlockedAddressError) =>
  refusal('blocked_address', `${err.message}: the proxy only calls public addresses; nothing was sent`);

function upstreamError(kind: 'connect' | 'reset' | 'timeout', provider: string, host: string, timeoutMs: number) {
  if (kind === 'timeout') {
    return new HttpError(504, 'provider_timeout', `${provider} (${host}) did not answer within ${timeoutMs / 1000} s`, {
      provider,
      host,
    });
  }
  const what = kind === 'connect' ? 'could not be reached' : 'closed the connection before answering';
  return new HttpError(502, 'provider_unreachable', `${provider} (${host}) ${what}`, { provider, host });
}
