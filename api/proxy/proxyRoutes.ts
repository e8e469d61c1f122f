import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { proxyCalls, statusClass } from '../../lib/metrics/proxyMetrics.js';
import { envelopeData } from '../../lib/proxy/envelopeData.js';
import type { ApiContext } from '../ApiContext.js';
import { type Caller, callerOf, requireScope } from '../auth/authenticate.js';
import { currentConnectionOf, integrationOf } from '../integrations/integrationAccess.js';
import { EndUserQuery, IntegrationParams } from '../integrations/integrationSchemas.js';
import { ConnectionIdParams } from '../connections/connectionSchemas.js';
import { HttpError } from '../errors/HttpError.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { readCallerBody, tooLarge, type CallerBody } from './callerBody.js';
import { providerForwarder, type ProxyAnswer, type ProxyCall } from './forwardToProvider.js';
import { MAX_RETRIES_ASKED, PROXY_METHODS, ProxyEnvelope, RETRIES_HEADER } from './proxySchemas.js';
import { createUpstreamAgents } from './upstreamAgents.js';

const errors = errorResponses({
  400: 'bad input, or a URL or address the proxy refuses (nothing was sent)',
  401: 'no or unknown token',
  403: 'missing scope',
  404: 'not found',
  409: 'needs_reauth',
  413: 'request body over CONNECTFLOW_PROXY_MAX_BODY_BYTES',
  422: 'the provider has no usable API base URI',
  502: 'the provider could not be reached',
  504: 'the provider did not answer in time',
});
const providerAnswer = z.unknown().describe("the provider's answer: its status, headers and body, as they came");

/**
 * Calls a connection's API with its token: `ALL /connections/:id/proxy/*` forwards the method, path,
 * query, headers and body as they are; `POST /connections/:id/request` takes the integrations API's JSON envelope.
 */
export const proxyRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const agents = createUpstreamAgents({
    resolveHost: ctx.resolveHost,
    connectTimeoutMs: Math.min(10_000, ctx.config.CONNECTFLOW_PROXY_TIMEOUT_SECONDS * 1000),
  });
  app.addHook('onClose', () => agents.close());
  const forward = providerForwarder(ctx, agents);
  const maxBytes = ctx.config.CONNECTFLOW_PROXY_MAX_BODY_BYTES;

  const send = async (call: Omit<ProxyCall, 'signal'>, request: FastifyRequest, reply: FastifyReply) => {
    // The provider call ends when the caller goes away before its answer is written.
    const aborted = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    let answer: ProxyAnswer;
    try {
      answer = await forward({ ...call, signal: aborted.signal }, request.log);
    } catch (err) {
      // the proxy's own answer (400 refused URL, 404, 409, 502, 504; 503 while a dependency is away) counts too
      proxyCalls.inc({ status_class: statusClass(err instanceof HttpError ? err.statusCode : 503) });
      throw err;
    }
    proxyCalls.inc({ status_class: statusClass(answer.status) });
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  };

  await app.register(async (scope) => {
    const paths = scope.withTypeProvider<ZodTypeProvider>();
    // Bodies stay bytes: every content type arrives as the raw stream, nothing is parsed.
    paths.removeAllContentTypeParsers();
    paths.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    for (const url of ['/integrations/:id/request', '/integrations/:id/request/*']) {
      paths.route({
        method: 'GET',
        url,
        preValidation: requireScope('connection:read'),
        schema: {
          ...operation(
            "GET the provider API with the caller's connection of the integration (under its API base)",
            'connection:read',
          ),
          params: IntegrationParams.extend({ '*': z.string().optional() }),
          response: { 200: providerAnswer, ...errors },
        },
        handler: async (request, reply) => {
          const through = await throughIntegration(ctx, callerOf(request), request.params.id, undefined);
          const call = {
            ...through,
            method: 'GET',
            target: remainderOf(request.url),
            headers: request.headers,
            body: { kind: 'none' as const },
            retriesAsked: retriesHeader(request.headers[RETRIES_HEADER]),
          };
          return send(call, request, reply);
        },
      });
    }
    for (const url of ['/connections/:id/proxy', '/connections/:id/proxy/*']) {
      paths.route({
        method: [...PROXY_METHODS],
        url,
        preValidation: requireScope('connection:read'),
        schema: {
          ...operation(
            'Call the provider API with the connection (path, query, headers, body as they are)',
            'connection:read',
          ),
          params: ConnectionIdParams.extend({ '*': z.string().optional() }),
          response: { 200: providerAnswer, ...errors },
        },
        handler: async (request, reply) => {
          const { id } = request.params;
          const body = await readCallerBody(
            request.body as Readable | undefined,
            request.headers['content-length'],
            maxBytes,
          );
          const call = {
            viewer: callerOf(request),
            connectionId: id,
            method: request.method,
            target: remainderOf(request.url),
            headers: request.headers,
            body,
            retriesAsked: retriesHeader(request.headers[RETRIES_HEADER]),
          };
          return send(call, request, reply);
        },
      });
    }
  });

  await app.register(async (scope) => {
    const envelopes = scope.withTypeProvider<ZodTypeProvider>();
    // The envelope is parsed for validation, and its raw text kept: `data` goes out as written.
    const rawEnvelopes = new WeakMap<FastifyRequest, string>();
    const parseJson = envelopes.getDefaultJsonParser('error', 'error');
    envelopes.removeContentTypeParser('application/json');
    envelopes.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: maxBytes + 1024 * 1024 },
      (request, text, done) => {
        rawEnvelopes.set(request, String(text));
        void parseJson(request, String(text), done);
      },
    );
    const fromEnvelope = (request: FastifyRequest, envelope: z.infer<typeof ProxyEnvelope>) => {
      const data = envelope.data === undefined ? undefined : envelopeData(rawEnvelopes.get(request) ?? 'null');
      const bytes = data && Buffer.from(data.text, 'utf8');
      if (bytes && bytes.length > maxBytes) throw tooLarge(maxBytes);
      const headers: Record<string, string> = { ...envelope.headers };
      const named = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
      if (data && !named('content-type')) {
        headers['content-type'] = data.kind === 'json' ? 'application/json' : 'text/plain; charset=utf-8';
      }
      const body: CallerBody = bytes?.length ? { kind: 'bytes', bytes } : { kind: 'none' };
      return {
        method: (envelope.method ?? 'GET').toUpperCase(),
        target: envelope.url,
        headers,
        body,
        retriesAsked: envelope.retries,
      };
    };
    envelopes.post(
      '/integrations/:id/request',
      {
        preValidation: requireScope('connection:read'),
        schema: {
          ...operation(
            "Call the provider API with the caller's connection of the integration, from a JSON envelope",
            'connection:read',
          ),
          params: IntegrationParams,
          querystring: EndUserQuery,
          body: ProxyEnvelope,
          response: { 200: providerAnswer, ...errors },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        const through = await throughIntegration(ctx, caller, request.params.id, request.query.end_user_id);
        return send({ ...through, ...fromEnvelope(request, request.body) }, request, reply);
      },
    );
    envelopes.post(
      '/connections/:id/request',
      {
        preValidation: requireScope('connection:read'),
        schema: {
          ...operation('Call the provider API with the connection, from a JSON envelope', 'connection:read'),
          params: ConnectionIdParams,
          body: ProxyEnvelope,
          response: { 200: providerAnswer, ...errors },
        },
      },
      async (request, reply) => {
        const call = {
          viewer: callerOf(request),
          connectionId: request.params.id,
          ...fromEnvelope(request, request.body),
        };
        return send(call, request, reply);
      },
    );
  });
};

/**
 * The caller's current connection of an integration, to forward with: the caller's access is decided
 * here (a shared connection is every end user's), and the integration's API base goes first.
 */
async function throughIntegration(ctx: ApiContext, caller: Caller, slug: string, endUserId: string | undefined) {
  const integration = await integrationOf(ctx, caller, slug);
  const doc = await currentConnectionOf(ctx, caller, integration, endUserId);
  return {
    viewer: { accountId: caller.accountId, userId: null },
    connectionId: doc._id,
    apiBaseUri: integration.apiBaseUri,
  };
}

/** The raw (still percent-encoded) path and query after `/proxy` (or an integration's `/request`), as the caller sent them. */
export function remainderOf(rawUrl: string): string {
  const match = /^\/api\/(?:connections\/[^/?#]*\/proxy|integrations\/[^/?#]*\/request)(?=[/?#]|$)/.exec(rawUrl);
  if (!match) throw new HttpError(400, 'bad_request', 'not a proxy path');
  return rawUrl.slice(match[0].length);
}

function retriesHeader(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value[0] : value;
  if (!text || !/^\d+$/.test(text.trim()) || Number(text) > MAX_RETRIES_ASKED) {
    throw new HttpError(400, 'bad_request', `${RETRIES_HEADER} must be a whole number from 0 to ${MAX_RETRIES_ASKED}`);
  }
  return Number(text);
}
