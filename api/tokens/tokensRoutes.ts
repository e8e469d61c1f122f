import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiToken, END_USER_ID_PATTERN } from '../../lib/store/apiTokens.js';
import type { ApiContext } from '../ApiContext.js';
import { callerOf, requireScope } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';
import { errorResponses } from '../schema/errorResponses.js';
import { operation } from '../schema/operation.js';

/** At most a year: a token that must live longer is an account token made with the CLI. */
const MAX_LIFETIME_SECONDS = 365 * 24 * 3600;

export const EndUserId = z
  .string()
  .regex(END_USER_ID_PATTERN, 'end user ids are 1-200 characters of A-Z a-z 0-9 _ . @ : + -');

const NewTokenBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z
      .array(z.enum(['connection:read', 'connection:edit', 'account:admin']))
      .min(1)
      .max(3),
    user_id: EndUserId.optional().describe('bind the token to this end user of the account'),
    expires_in: z.number().int().min(60).max(MAX_LIFETIME_SECONDS).optional().describe('seconds'),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((b) => b.expires_in === undefined || b.expires_at === undefined, {
    message: 'give expires_in or expires_at, not both',
    path: ['expires_at'],
  });

const NewToken = z.object({
  token: z.string().describe('shown once: only its hash is stored'),
  token_id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  user_id: z.string().nullable(),
  expires_at: z.string().nullable(),
});

/** Mint an API token of the calling account programmatically, e.g. one per end user of an app. */
export const tokensRoutes: FastifyPluginAsyncZod<ApiContext> = async (app, ctx) => {
  app.post(
    '/tokens',
    {
      preValidation: requireScope('account:admin'),
      schema: {
        ...operation('Mint an API token (optionally bound to an end user); the token is shown once', 'account:admin'),
        body: NewTokenBody,
        response: {
          201: NewToken,
          ...errorResponses({ 400: 'bad input', 401: 'no or unknown token', 403: 'missing scope' }),
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const caller = callerOf(request);
      const userId = body.user_id ?? null;
      if (userId !== null && body.scopes.includes('account:admin')) {
        throw new HttpError(
          400,
          'invalid_scopes',
          'a token bound to an end user cannot hold account:admin (it acts for the user, not the account)',
        );
      }
      const expiresAt =
        body.expires_at !== undefined
          ? new Date(body.expires_at)
          : body.expires_in !== undefined
            ? new Date(Date.now() + body.expires_in * 1000)
            : null;
      if (
        expiresAt &&
        (expiresAt.getTime() <= Date.now() || expiresAt.getTime() > Date.now() + MAX_LIFETIME_SECONDS * 1000)
      ) {
        throw new HttpError(400, 'invalid_expiry', 'expires_at must be in the future and at most a year away');
      }
      const scopes = [...new Set(body.scopes)];
      const { token, tokenId } = await createApiToken(ctx.store, {
        accountId: caller.accountId,
        scopes,
        name: body.name,
        userId,
        expiresAt,
      });
      return reply.code(201).send({
        token,
        token_id: tokenId,
        name: body.name,
        scopes,
        user_id: userId,
        expires_at: expiresAt?.toISOString() ?? null,
      });
    },
  );
};
