import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redirectOriginsOf, setRedirectOrigins } from '../../lib/store/accounts.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

const Origin = z
  .url({ protocol: /^https?$/ })
  .max(300)
  .transform((u) => new URL(u).origin);

const AccountBody = z.object({ redirect_origins: z.array(Origin).max(20) });
const Account = z.object({ account_id: z.string(), redirect_origins: z.array(z.string()) });

/** The calling account's settings: the origins its requests' redirect_url may point at. */
export const accountRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  const errors = errorResponses({ 401: 'no or unknown token', 403: 'missing scope' });
  app.get(
    '/account',
    {
      preValidation: requireScope('connection:read'),
      schema: { ...operation('The account settings', 'connection:read'), response: { 200: Account, ...errors } },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      return { account_id: accountId, redirect_origins: await redirectOriginsOf(ctx.store, accountId) };
    },
  );

  app.put(
    '/account',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation('Set the redirect_url allow-list', 'account:admin'),
        body: AccountBody,
        response: { 200: Account, ...errors, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      const redirectOrigins = [...new Set(request.body.redirect_origins)];
      await setRedirectOrigins(ctx.store, accountId, redirectOrigins);
      return { account_id: accountId, redirect_origins: redirectOrigins };
    },
  );
};
