import type { CatalogFile } from './catalogFileSchema.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export type PkcePolicy = 'required' | 'supported' | 'refused';

export interface ConnectionConfigField {
  /** anchored, and refusing / @ : ? # .. (see connectionConfigPattern.ts) */
  pattern: string;
  description: string;
}

/**
 * One provider as the service uses it: a catalog file converted once at start, every default
 * applied. URLs may hold `{name}` templates, filled per connection from its connection_config.
 */
export interface ProviderEntry {
  id: string;
  name: string;
  aliases: string[];
  categories: string[];
  docsUrl: string | null;
  /** OIDC / RFC 8414 issuer; endpoints come from discovery unless both are given */
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
  defaultScopes: string[];
  scopeSeparator: string;
  connectionConfig: Record<string, ConnectionConfigField>;
  /** added to the authorization URL (e.g. access_type=offline) */
  authorizationParams: Record<string, string>;
  /** added to every token request (code exchange and refresh) */
  tokenParams: Record<string, string>;
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** how token requests are encoded: form (RFC 6749) or a JSON body */
  tokenRequestFormat: 'form' | 'json';
  /** required / supported: an S256 challenge is sent; refused: none is */
  pkce: PkcePolicy;
  apiBaseUri?: string;
  /** the token-response field whose value is the connection's API base (e.g. Salesforce instance_url) */
  apiBaseUriFrom?: string;
  /** token-response fields kept as providerData */
  providerDataFields: string[];
  /** callback query parameters kept as providerData (e.g. QuickBooks realmId) */
  callbackParams: string[];
  /** the token fields sit under this key of the token response (e.g. Slack's authed_user) */
  tokenResponsePath?: string;
  /** lifetime of each refresh token the provider issues, when it does not say (e.g. Xero 60 days) */
  refreshTokenLifetimeSeconds?: number;
  /** the provider refuses to refresh an access token with more than this left */
  refreshNotBeforeSeconds?: number;
  /** access tokens have no lifetime, whatever a response states */
  accessTokenNeverExpires: boolean;
  proxy: { authHeader?: string; authScheme?: string; headers: Record<string, string> };
  notes?: string;
}

/** The file shape (snake_case, optional keys) as the service's entry, with the defaults of the format. */
export function providerEntryFromFile(file: CatalogFile): ProviderEntry {
  return {
    id: file.id,
    name: file.name,
    aliases: file.aliases ?? [],
    categories: [...file.categories],
    docsUrl: file.docs_url,
    issuer: file.issuer,
    authorizationEndpoint: file.authorization_endpoint,
    tokenEndpoint: file.token_endpoint,
    revocationEndpoint: file.revocation_endpoint,
    defaultScopes: file.default_scopes,
    scopeSeparator: file.scope_separator ?? ' ',
    connectionConfig: file.connection_config ?? {},
    authorizationParams: file.authorization_params ?? {},
    tokenParams: file.token_params ?? {},
    tokenEndpointAuthMethod: file.token_endpoint_auth_method ?? 'client_secret_basic',
    tokenRequestFormat: file.token_request_format ?? 'form',
    pkce: file.pkce ?? 'supported',
    apiBaseUri: file.api_base_uri,
    apiBaseUriFrom: file.api_base_uri_from,
    providerDataFields: file.provider_data_fields ?? [],
    callbackParams: file.callback_params ?? [],
    tokenResponsePath: file.token_response_path,
    refreshTokenLifetimeSeconds: file.refresh?.refresh_token_lifetime_seconds,
    refreshNotBeforeSeconds: file.refresh?.refresh_not_before_seconds,
    accessTokenNeverExpires: file.refresh?.access_token_never_expires ?? false,
    proxy: {
      authHeader: file.proxy?.auth_header,
      authScheme: file.proxy?.auth_scheme,
      headers: file.proxy?.headers ?? {},
    },
    notes: file.notes,
  };
}

/** Discovery is used when the entry names an issuer but not both endpoints. */
export function usesDiscovery(entry: Pick<ProviderEntry, 'issuer' | 'authorizationEndpoint' | 'tokenEndpoint'>) {
  return entry.issuer !== undefined && !(entry.authorizationEndpoint && entry.tokenEndpoint);
}
