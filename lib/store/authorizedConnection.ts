import type { TokenEndpointResponse } from 'oauth4webapi';
import type { KeyRing } from '../crypto/keyRing.js';
import type { ConnectionConfig } from '../providers/connectionConfig.js';
import type { ProviderEntry } from '../providers/providerEntry.js';
import { apiBaseUriOf, providerDataOf } from '../providers/tokenResponseFields.js';
import type { ConnectionDoc, OAuthRequestDoc, StoredCredentials } from './documents.js';
import { tokenExpiries } from './tokenExpiries.js';

type FirstFields = 'name' | 'lastRefreshedAt' | 'adoptedAt' | 'createdAt';

/**
 * The connection document an authorization request's token response makes: the credentials encrypted
 * for the connection, the granted scopes (else the requested ones), when the tokens lapse, the
 * provider's fields the catalog keeps (token response and callback), its API base, and the
 * connection_config its templates were filled from, the OAuth app it was authorized with, and its end user and integration. `fields` are written at every authorization of the connection,
 * `firstFields` only when it is created.
 */
export function authorizedConnection(
  request: Pick<
    OAuthRequestDoc,
    | '_id'
    | 'accountId'
    | 'connectionId'
    | 'provider'
    | 'scopes'
    | 'connectionName'
    | 'oauthApp'
    | 'ownerId'
    | 'ownerProfile'
    | 'integrationId'
  >,
  tokens: TokenEndpointResponse,
  provider: Pick<
    ProviderEntry,
    | 'name'
    | 'apiBaseUri'
    | 'apiBaseUriFrom'
    | 'providerDataFields'
    | 'callbackParams'
    | 'refreshTokenLifetimeSeconds'
    | 'accessTokenNeverExpires'
  >,
  keyRing: KeyRing,
  now: Date,
  {
    callbackParams = {},
    connectionConfig = {},
  }: { callbackParams?: Record<string, string>; connectionConfig?: ConnectionConfig } = {},
): { fields: Omit<ConnectionDoc, '_id' | FirstFields>; firstFields: Pick<ConnectionDoc, FirstFields> } {
  const credentials: StoredCredentials = {
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
    ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  };
  const providerData = providerDataOf(provider, tokens, callbackParams);
  return {
    fields: {
      accountId: request.accountId,
      provider: request.provider,
      status: 'active',
      credentials: keyRing.encryptJson(credentials, request.connectionId),
      scopes: tokens.scope ? tokens.scope.split(' ').filter(Boolean) : request.scopes,
      ...tokenExpiries(tokens, provider, now, null),
      lastAuthorizedAt: now,
      providerData,
      apiBaseUri: apiBaseUriOf(provider, connectionConfig, providerData),
      connectionConfig,
      authorizationRequestId: request._id,
      oauthApp: request.oauthApp ?? { kind: 'service' },
      ownerId: request.ownerId ?? null,
      ...(request.ownerProfile ? { ownerProfile: request.ownerProfile } : {}),
      integrationId: request.integrationId ?? null,
      updatedAt: now,
    },
    firstFields: {
      name: request.connectionName ?? `${provider.name} connection`,
      lastRefreshedAt: null,
      adoptedAt: null,
      createdAt: now,
    },
  };
}
