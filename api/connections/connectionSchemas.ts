import { z } from 'zod';
import { END_USER_ID_PATTERN } from '../../lib/store/apiTokens.js';
import { CONNECTION_STATUSES } from '../../lib/store/documents.js';
import {
  ConnectionConfigInput,
  DEFAULT_VALIDITY_SECONDS,
  EndUserInput,
  ValidityDuration,
} from '../oauth2/oauth2Schemas.js';

export const ConnectionIdParams = z.object({ id: z.string().min(1).max(128) });

export const ListConnectionsQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  page_size: z.coerce.number().int().min(1).max(200).default(50),
  end_user_id: z.string().regex(END_USER_ID_PATTERN).optional().describe("only this end user's connections"),
});

export const GetConnectionQuery = z.object({
  include_credentials: z.enum(['true', 'false']).optional(),
});

/**
 * Credentials as `POST /api/oauth2/credentials` returned them (with their connection_id), or tokens
 * obtained elsewhere to import (a refresh token, else an access token, and when it lapses).
 */
const Credentials = z
  .looseObject({
    connection_id: z.string().min(1).max(128).optional(),
    access_token: z.string().min(1).max(16_384).optional(),
    refresh_token: z.string().min(1).max(16_384).optional(),
    token_type: z.string().min(1).max(40).optional(),
    expires_in: z.coerce
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 24 * 3600)
      .optional()
      .describe('seconds the access token has left'),
    expires_at: z.iso.datetime({ offset: true }).nullable().optional().describe('when the access token lapses'),
    scope: z.string().max(4096).optional(),
    id_token: z.string().max(16_384).optional(),
  })
  .refine((c) => c.connection_id !== undefined || c.expires_in === undefined || c.expires_at == null, {
    message: 'tokens to import take expires_in or expires_at, not both',
    path: ['expires_at'],
  });

export const SaveConnectionBody = z
  .object({
    connection_type: z.string().min(1).max(100),
    connection_name: z.string().trim().min(1).max(200),
    credentials: Credentials.optional(),
    secret_id: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("the secret_id a flow's redirect_url received, in place of credentials"),
    connection_config: ConnectionConfigInput.optional().describe("an imported connection's template values"),
    end_user: EndUserInput.optional().describe('the end user an imported connection is for'),
  })
  .refine((b) => (b.credentials === undefined) !== (b.secret_id === undefined), {
    message: 'give credentials or secret_id (one of them)',
    path: ['credentials'],
  });

export const ReplaceConnectionBody = z.object({
  connection_type: z.string().min(1).max(100).optional(),
  connection_name: z.string().trim().min(1).max(200),
  credentials: Credentials.optional(),
});

export const ReauthorizeBody = z
  .object({
    validity_duration: ValidityDuration.default(DEFAULT_VALIDITY_SECONDS),
    redirect_url: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    scopes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
  })
  .default({ validity_duration: DEFAULT_VALIDITY_SECONDS });

/** connectionView's shape; loose, so a field added to the view is never dropped by the serializer. */
export const ConnectionView = z.looseObject({
  _id: z.string(),
  cross_id: z.string(),
  connection_name: z.string(),
  connection_type: z.string(),
  status: z.enum(CONNECTION_STATUSES),
  scopes: z.array(z.string()),
  tokenExpiresAt: z.string().nullable(),
  refreshTokenExpiresAt: z.string().nullable(),
  lastAuthorizedAt: z.string(),
  lastRefreshedAt: z.string().nullable(),
  apiBaseUri: z.string().nullable(),
  connectionConfig: z.record(z.string(), z.string()),
  providerData: z.record(z.string(), z.unknown()),
  ownerId: z.string().nullable().describe("the end user it belongs to; null: the account's own"),
  integrationId: z.string().nullable().describe('the integration it was made through'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** A connection with its tokens (include_credentials=true, refresh). */
export const ConnectionWithCredentials = ConnectionView.extend({
  credentials: z.looseObject({
    access_token: z.string(),
    token_type: z.string(),
    refresh_token: z.string().optional(),
    id_token: z.string().optional(),
    scope: z.string().optional(),
  }),
});

export const ConnectionPage = z.object({
  items: z.array(ConnectionView),
  page: z.number(),
  page_size: z.number(),
  total: z.number(),
});

export const SavedConnection = z.object({
  _id: z.string(),
  cross_id: z.string(),
  connection_name: z.string(),
  message: z.string(),
});
