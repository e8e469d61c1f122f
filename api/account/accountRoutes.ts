import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { parseInput } from '../errors/parseInput.js';
import { doc } from '../openapi/routeDoc.js';

const Origin = z
  .url({ protocol: /^https?$/ })
  .max(300)
  .transform((u) => new URL(u).origin);

const AccountBody = z.object({ redirect_origins: z.array(Origin).max(20) });

/** The calling account's settings: the origins its requests' redirect_url may point at. */
export const accountRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get('/account', { preHandler: requireScope('connection:read'), config: doc({ summary: 'The account settings', scope: 'connection:read' }) }, async (request) => {
    const { accountId } = callerOf(request);
    const account = await ctx.store.accounts.findOne({ _id: accountId });
    return { account_id: accountId, redirect_origins: account?.redirectOrigins ?? [] };
  });

  app.put('/account', { preHandler: requireScope('account:admin'), config: doc({ summary: 'Set the redirect_url allow-list', scope: 'account:admin', body: AccountBody, responses: { 400: 'bad input', 403: 'missing scope' } }) }, async (request) => {
    const { accountId } = callerOf(request);
    const body = parseInput(AccountBody, request.body, 'body');
    const now = new Date();
    const redirectOrigins = [...new Set(body.redirect_origins)];
    await ctx.store.accounts.updateOne(
      { _id: accountId },
      { $set: { redirectOrigins, updatedAt: now }, $setOnInsert: { createdAt: now } },
      { upsert: true },
    );
    return { account_id: accountId, redirect_origins: redirectOrigins };
  });
};
