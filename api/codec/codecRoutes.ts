import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EncryptionCodec } from '../../lib/temporal/encryptionCodec.js';
import type { ApiContext } from '../ApiContext.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { CODEC_SESSION_SECONDS, startCodecSession } from '../../lib/store/codecSessions.js';
import { CODEC_COOKIE, operatorAuthenticator } from './operatorAuth.js';

const base64 = z
  .string()
  .max(4_000_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/);
const DecodeBody = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .max(1_000),
});
const Decoded = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string().optional() })),
});
const SessionBody = z.object({ token: z.string().min(10).max(200) });

/**
 * The codec server of the Temporal Web UI (`--ui-codec-endpoint <api>/codec`): an operator with an
 * operator token (any account's payloads: an operator power, no account token has it) reads decrypted
 * payloads in the UI. The UI calls from its own origin with a session cookie (a random, expiring id
 * from the form at GET /codec/session, stored hashed; never the token).
 */
export const codecRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  await app.register(formbody);
  const codec = new EncryptionCodec(ctx.keyRing);
  const uiOrigin = ctx.config.CONNECTFLOW_TEMPORAL_UI_ORIGIN;
  const operators = operatorAuthenticator(ctx.store);
  const secure = ctx.config.PUBLIC_BASE_URL.startsWith('https:') ? '; Secure' : '';

  const cors = (request: FastifyRequest, reply: FastifyReply) => {
    if (uiOrigin && request.headers.origin === uiOrigin) {
      reply
        .header('access-control-allow-origin', uiOrigin)
        .header('access-control-allow-credentials', 'true')
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
        .header('vary', 'origin');
    }
  };
  app.addHook('onRequest', async (request, reply) => cors(request, reply));
  app.options('/codec/decode', { schema: { hide: true } }, async (_request, reply) => reply.code(204).send());

  app.post(
    '/codec/decode',
    {
      schema: {
        ...operation('Temporal UI codec server: decode payloads', 'operator'),
        body: DecodeBody,
        response: {
          200: Decoded,
          ...errorResponses({ 400: 'bad input', 401: 'no session', 403: 'not an operator token' }),
        },
      },
      // Authenticated before the body is validated, as every other route.
      preValidation: async (request) => {
        await operators.request(request);
      },
    },
    async (request) => {
      const decoded = await codec.decode(
        request.body.payloads.map((p) => ({
          metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
          data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
        })),
      );
      return {
        payloads: decoded.map((p) => ({
          metadata: Object.fromEntries(
            Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
        })),
      };
    },
  );

  app.get(
    '/codec/session',
    { schema: operation('Temporal UI codec server: the form that starts a session (HTML)') },
    async (_request, reply) =>
      reply.type('text/html; charset=utf-8')
        .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>connectflow · Temporal UI decoding</title></head>
<body style="font-family:system-ui;max-width:36rem;margin:4rem auto"><h1>Decode payloads in the Temporal UI</h1>
<p>Paste an operator token (<code>npm run token -- create --operator</code>). This browser then gets a session cookie the Temporal UI's codec calls carry.</p>
<form method="post" action="/codec/session"><input name="token" type="password" size="50" autocomplete="off" required> <button type="submit">Start session</button></form></body></html>`),
  );

  app.post(
    '/codec/session',
    {
      schema: {
        ...operation('Temporal UI codec server: start a session cookie (form body, HTML answer)'),
        consumes: ['application/x-www-form-urlencoded'],
        body: SessionBody,
        response: {
          200: z.string().describe('an HTML page'),
          ...errorResponses({ 400: 'bad input', 401: 'unknown token', 403: 'not an operator token' }),
        },
      },
    },
    async (request, reply) => {
      const operator = await operators.token(request, request.body.token);
      const sessionId = await startCodecSession(ctx.store, operator._id);
      return reply
        .header(
          'set-cookie',
          `${CODEC_COOKIE}=${sessionId}; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=${CODEC_SESSION_SECONDS}${secure}`,
        )
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><p>Session started: the Temporal UI can now decode payloads in this browser for 8 hours.</p>',
        );
    },
  );
};
