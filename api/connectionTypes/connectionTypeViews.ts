import { z } from 'zod';
import type { Config } from '../../lib/config.js';
import { providerClientCredentials } from '../../lib/providers/providerClientCredentials.js';
import { usesDiscovery, type ProviderEntry } from '../../lib/providers/providerEntry.js';
import { discoveredMetadata, discoveryProblem } from '../../lib/providers/resolveAuthorizationServer.js';

/** One row of GET /api/connection_types (Rivery-shaped: the provider's id is its datasource_id). */
export const ConnectionTypeSummary = z.object({
  datasource_id: z.string(),
  name: z.string(),
  oauth: z.literal(true),
  categories: z.array(z.string()),
  configured: z.boolean().describe('an OAuth app is set for it here'),
  aliases: z.array(z.string()).optional(),
  default_scopes: z.array(z.string()),
  connection_config: z
    .record(z.string(), z.object({ description: z.string() }))
    .describe('the fields POST /api/oauth2 needs in connection_config'),
  docs_url: z.string().nullable(),
  discovery_error: z.string().optional().describe('the last discovery at its issuer failed with this'),
});

/** GET /api/connection_types/:datasource_id: everything a client needs to reason about the provider. */
export const ConnectionTypeDetail = ConnectionTypeSummary.extend({
  issuer: z.string().optional().describe('OIDC / RFC 8414 issuer: endpoints come from discovery'),
  authorization_endpoint: z.string().optional(),
  token_endpoint: z.string().optional(),
  revocation_endpoint: z.string().optional(),
  scope_separator: z.string(),
  api_base_uri: z.string().optional(),
  api_base_uri_from: z.string().optional().describe('the token-response field that holds the API base'),
  connection_config: z.record(z.string(), z.object({ pattern: z.string(), description: z.string() })),
  authorization_params: z.record(z.string(), z.string()),
  token_params: z.record(z.string(), z.string()),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']),
  token_request_format: z.enum(['form', 'json']),
  pkce: z.enum(['required', 'supported', 'refused']),
  provider_data_fields: z.array(z.string()),
  callback_params: z.array(z.string()),
  refresh: z.object({
    refresh_token_lifetime_seconds: z.number().optional(),
    refresh_not_before_seconds: z.number().optional(),
    access_token_never_expires: z.boolean(),
  }),
  notes: z.string().optional(),
});

export type ConnectionTypeSummary = z.infer<typeof ConnectionTypeSummary>;
export type ConnectionTypeDetail = z.infer<typeof ConnectionTypeDetail>;

/** The last discovery failure of a provider with a fixed issuer (a templated one is discovered per connection). */
export function discoveryErrorOf(entry: ProviderEntry): string | undefined {
  return usesDiscovery(entry) ? discoveryProblem(entry.issuer!) : undefined;
}

export function connectionTypeSummary(
  entry: ProviderEntry,
  config: Pick<Config, 'providerApps'>,
): ConnectionTypeSummary {
  return {
    datasource_id: entry.id,
    name: entry.name,
    oauth: true,
    categories: entry.categories,
    configured: providerClientCredentials(config, entry) !== undefined,
    ...(entry.aliases.length ? { aliases: entry.aliases } : {}),
    default_scopes: entry.defaultScopes,
    connection_config: Object.fromEntries(
      Object.entries(entry.connectionConfig).map(([name, field]) => [name, { description: field.description }]),
    ),
    docs_url: entry.docsUrl,
  };
}

export function connectionTypeDetail(entry: ProviderEntry, config: Pick<Config, 'providerApps'>): ConnectionTypeDetail {
  const discovered = usesDiscovery(entry) ? discoveredMetadata(entry.issuer!) : undefined;
  const error = discoveryErrorOf(entry);
  return {
    ...connectionTypeSummary(entry, config),
    ...(entry.issuer ? { issuer: entry.issuer } : {}),
    ...defined({
      authorization_endpoint: entry.authorizationEndpoint ?? discovered?.authorization_endpoint,
      token_endpoint: entry.tokenEndpoint ?? discovered?.token_endpoint,
      revocation_endpoint: entry.revocationEndpoint ?? discovered?.revocation_endpoint,
      api_base_uri: entry.apiBaseUri,
      api_base_uri_from: entry.apiBaseUriFrom,
      notes: entry.notes,
      discovery_error: error,
    }),
    scope_separator: entry.scopeSeparator,
    connection_config: entry.connectionConfig,
    authorization_params: entry.authorizationParams,
    token_params: entry.tokenParams,
    token_endpoint_auth_method: entry.tokenEndpointAuthMethod,
    token_request_format: entry.tokenRequestFormat,
    pkce: entry.pkce,
    provider_data_fields: entry.providerDataFields,
    callback_params: entry.callbackParams,
    refresh: {
      ...defined({
        refresh_token_lifetime_seconds: entry.refreshTokenLifetimeSeconds,
        refresh_not_before_seconds: entry.refreshNotBeforeSeconds,
      }),
      access_token_never_expires: entry.accessTokenNeverExpires,
    },
  };
}

/** The keys whose value is set. */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}
