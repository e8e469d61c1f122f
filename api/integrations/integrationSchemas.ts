import { z } from 'zod';
import { INTEGRATION_MODES } from '../../lib/store/documents.js';
import { ConnectionConfigInput, ValidityDuration, DEFAULT_VALIDITY_SECONDS } from '../oauth2/oauth2Schemas.js';
import { EndUserId } from '../tokens/tokensRoutes.js';

/** An integration's id in the API: chosen by the account when it creates it (its slug). */
export const IntegrationParams = z.object({
  id: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
      'integration ids are 1-100 characters of A-Z a-z 0-9 _ . - (starting with a letter or digit)',
    ),
});

const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);

export const IntegrationBody = z
  .object({
    type: z.string().min(1).max(100).describe('the datasource_id (GET /api/connection_types)'),
    name: z.string().trim().min(1).max(200),
    mode: z.enum(INTEGRATION_MODES).describe('per_user: one connection per end user; shared: one for the account'),
    scopes: z.array(z.string().min(1).max(200)).min(1).max(50).optional(),
    connection_config: ConnectionConfigInput.optional(),
    client_id: z.string().trim().min(1).max(500).optional().describe("the integration's own OAuth app"),
    client_secret: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .describe('left out with the same client_id as before: the stored secret is kept'),
    api_base_uri: HttpUrl.optional().describe("the proxy's base instead of the catalog's"),
    success_url: HttpUrl.optional().describe('where the browser lands connected (with connection_id)'),
    error_url: HttpUrl.optional().describe('where the browser lands on failure (with error, error_description)'),
  })
  .refine((b) => b.client_secret === undefined || b.client_id !== undefined, {
    message: 'client_secret needs its client_id',
    path: ['client_id'],
  });

/** An integration as the API shows it: never its client secret. */
export const Integration = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  mode: z.enum(INTEGRATION_MODES),
  scopes: z.array(z.string()).nullable(),
  connection_config: z.record(z.string(), z.string()),
  client_id: z.string().nullable(),
  api_base_uri: z.string().nullable(),
  success_url: z.string().nullable(),
  error_url: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const DeleteIntegrationQuery = z.object({
  force: z.enum(['true', 'false']).optional().describe('true: disconnect its connections first'),
});

/** An account-level token names the end user it acts for; a user-bound token is its user. */
export const EndUserQuery = z.object({
  end_user_id: EndUserId.optional().describe("an account-level token: this end user's connection"),
});

export const ConnectQuery = EndUserQuery.extend({
  validity_duration: z.coerce
    .number()
    .pipe(ValidityDuration)
    .default(DEFAULT_VALIDITY_SECONDS)
    .describe('seconds the end user has to authorize'),
});

/** An authorization code the client obtained itself, with the redirect_uri it used. */
const CodeGrant = z.object({
  code: z.string().min(1).max(4096),
  redirect_uri: HttpUrl,
  code_verifier: z.string().min(43).max(128).optional(),
});
/** Tokens obtained elsewhere, imported into a connection kept fresh from then on. */
const RefreshTokenGrant = z.object({
  refresh_token: z.string().min(1).max(16_384),
  access_token: z.string().min(1).max(16_384).optional(),
  expires_in: z
    .number()
    .int()
    .min(0)
    .max(10 * 365 * 24 * 3600)
    .optional(),
  scope: z.string().max(4096).optional(),
});
export const IntegrationConnectBody = z.union([CodeGrant, RefreshTokenGrant]);
export type IntegrationConnectBody = z.infer<typeof IntegrationConnectBody>;

/** A connection of an integration, as the integrations API shows it (camelCase). */
export const IntegrationConnection = z.object({
  id: z.string(),
  integrationId: z.string(),
  ownerId: z.string().nullable(),
  isShared: z.boolean(),
  tokenExpiresAt: z.string().nullable(),
  refreshTokenExpiresAt: z.string().nullable(),
  lastAuthorizedAt: z.string(),
  apiBaseUri: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const IntegrationConnectionsQuery = EndUserQuery.extend({
  start: z.coerce.number().int().min(0).max(1_000_000).default(0),
  count: z.coerce.number().int().min(1).max(200).default(50),
});

/** GET /api/integration-connections: a HAL document. */
export const IntegrationConnectionsPage = z.object({
  _links: z.object({ self: z.object({ href: z.string() }) }),
  _embedded: z.object({
    'inf:integration-connection': z.array(
      IntegrationConnection.extend({
        _embedded: z.object({
          'inf:integration': z.object({ id: z.string(), name: z.string(), type: z.string() }),
        }),
      }),
    ),
  }),
  start: z.number(),
  count: z.number(),
  total: z.number(),
});
