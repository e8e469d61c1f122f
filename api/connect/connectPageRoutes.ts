import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountOf } from '../../lib/store/accounts.js';
import { connectPageIdOf } from '../../lib/store/connectPageId.js';
import type { AccountDoc, ConnectPageDoc, OAuthRequestDoc } from '../../lib/store/documents.js';
import type { ApiContext } from '../ApiContext.js';
import { errorResponses, noBody } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';
import { CONNECT_SCRIPT } from './connectScript.js';
import { type LinkProblem, sendConnectPage, sendLinkProblem } from './renderConnectPage.js';

const ConnectPageParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/) });
/** connect.js says which page opened the popup, so a page the account does not allow is told at once. */
const ConnectPageQuery = z.object({ opener_origin: z.string().max(300).optional() });

const html = (description: string) => z.string().describe(`an HTML page: ${description}`);
const pageResponses = {
  403: html('opened by a page of an origin the account does not allow'),
  404: html('unknown link'),
  410: html('expired or already used'),
  ...errorResponses({ 429: 'rate limited' }),
};

type OpenLink = { page: ConnectPageDoc; request: OAuthRequestDoc; account: AccountDoc | null };
type Link = { problem: LinkProblem; origins: string[] } | { problem: null; open: OpenLink };

/**
 * The end user's pages (public): GET /connect/:id shows who asks for what and for how long, and its
 * button (POST /connect/:id) goes on to the provider while the link is still good. GET /connect.js is
 * the popup helper the client's own page loads.
 */
export const connectPageRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  await app.register(formbody);
  const rateLimit = { max: ctx.config.CONNECTFLOW_CALLBACK_RATE_LIMIT, timeWindow: '1 minute' };

  /** The link's page and request, or why it cannot be used (with the origins its opener may be told at). */
  const findLink = async (connectId: string): Promise<Link> => {
    const page = await ctx.store.connectPages.findOne({ _id: connectPageIdOf(connectId) });
    const request = page && (await ctx.store.oauthRequests.findOne({ _id: page.authorizationRequestId }));
    if (!page || !request) return { problem: 'unknown', origins: [] };
    const account = await accountOf(ctx.store, page.accountId);
    const origins = account?.redirectOrigins ?? [];
    if (request.status === 'expired' || request.expiresAt.getTime() <= Date.now())
      return { problem: 'expired', origins };
    if (request.status !== 'pending' || (await ctx.store.callbackClaims.findOne({ _id: request._id }))) {
      return { problem: 'used', origins };
    }
    return { problem: null, open: { page, request, account } };
  };

  const refuse = (reply: FastifyReply, link: Link & { problem: LinkProblem }) =>
    sendLinkProblem(reply, link.problem, link.origins);
  const invalidId = (request: FastifyRequest, reply: FastifyReply) =>
    request.validationError ? sendLinkProblem(reply, 'unknown', []) : undefined;

  app.get(
    '/connect/:id',
    {
      config: { rateLimit },
      // A malformed id gets the page that says the link does not work, not the API's JSON error.
      attachValidation: true,
      schema: {
        ...operation('The connect page of an authorization request (public; HTML)'),
        params: ConnectPageParams,
        querystring: ConnectPageQuery,
        response: { 200: html('the connect page'), ...pageResponses },
      },
    },
    async (request, reply) => {
      const malformed = invalidId(request, reply);
      if (malformed) return malformed;
      const link = await findLink(request.params.id);
      if (link.problem) return refuse(reply, link);
      const { page, request: oauthRequest, account } = link.open;
      const origins = account?.redirectOrigins ?? [];
      const opener = request.query.opener_origin;
      if (opener !== undefined && !origins.includes(opener)) return sendLinkProblem(reply, 'opener_not_allowed', []);
      const entry = ctx.catalog.get(oauthRequest.provider);
      const descriptions = entry?.scopeDescriptions ?? {};
      return sendConnectPage(
        reply,
        {
          connectId: request.params.id,
          providerName: entry?.name ?? oauthRequest.provider,
          providerOrigin: new URL(authUriOf(page)).origin,
          accountLabel: account?.name ?? `Account ${page.accountId}`,
          connectionName: oauthRequest.connectionName,
          scopes: oauthRequest.scopes.map((scope) => ({ scope, description: descriptions[scope] ?? null })),
          timeLeftMs: oauthRequest.expiresAt.getTime() - Date.now(),
        },
        origins,
      );
    },
  );

  app.post(
    '/connect/:id',
    {
      config: { rateLimit },
      attachValidation: true,
      schema: {
        ...operation("The connect page's button: 303 to the provider while the link is good (public)"),
        params: ConnectPageParams,
        response: { 303: noBody("to the provider's authorization page"), ...pageResponses },
      },
    },
    async (request, reply) => {
      const malformed = invalidId(request, reply);
      if (malformed) return malformed;
      const link = await findLink(request.params.id);
      if (link.problem) return refuse(reply, link);
      const { page, request: oauthRequest } = link.open;
      // By _id alone (the store's fast path); nothing else writes a pending request before its callback.
      await ctx.store.oauthRequests.updateOne(
        { _id: oauthRequest._id },
        { $set: { viaConnectPage: true, updatedAt: new Date() } },
      );
      return reply.code(303).header('cache-control', 'no-store').redirect(authUriOf(page), 303);
    },
  );

  app.get(
    '/connect.js',
    {
      schema: {
        ...operation('The popup helper: connectflow.connect(connect_uri) (public; JavaScript)'),
        response: { 200: z.string().describe('a browser script') },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff')
        .send(CONNECT_SCRIPT),
  );

  const authUriOf = (page: ConnectPageDoc) => ctx.keyRing.decrypt(page.authUri, page._id).toString('utf8');
};
