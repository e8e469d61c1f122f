import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountOf, setAccountSettings } from '../../lib/store/accounts.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

const Origin = z
  .url({ protocol: /^https?$/ })
  .max(300)
  .transform((u) => new URL(u).origin);

const AccountBody = z.object({
  redirect_origins: z.array(Origin).max(20),
  /** shown to end users on the connect page; left out, the page shows the account id */
  name: z.string().trim().min(1).max(100).optional(),
});
const Account = z.object({
  account_id: z.string(),
  name: z.string().optional(),
  redirect_origins: z.array(z.string()),
});

/**
 * The calling account's settings: its name as end users see it, and the origins its requests'
 * redirect_url may point at (the connect popup reports its outcome only to these origins too).
 */
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
      const account = await accountOf(ctx.store, accountId);
      return { account_id: accountId, name: account?.name, redirect_origins: account?.redirectOrigins ?? [] };
    },
  );

  app.put(
    '/account',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation('Set the account name and the redirect_url allow-list', 'account:admin'),
        body: AccountBody,
        response: { 200: Account, ...errors, ...errorResponses({ 400: 'bad input' }) },
      },
    },
    async (request) => {
      const { accountId } = callerOf(request);
      const redirectOrigins = [...new Set(request.body.redirect_origins)];
      const { name } = request.body;
      await setAccountSettings(ctx.store, accountId, { redirectOrigins, name });
      return { account_id: accountId, name, redirect_origins: redirectOrigins };
    },
  );
};
