import type { TokenEndpointResponse } from 'oauth4webapi';
import type { KeyRing } from '../crypto/keyRing.js';
import type { ProviderEntry } from '../providers/catalog.js';
import type { ConnectionDoc, OAuthRequestDoc, StoredCredentials } from './documents.js';
import { tokenExpiries } from './tokenExpiries.js';

type FirstFields = 'name' | 'lastRefreshedAt' | 'adoptedAt' | 'createdAt';

/**
 * The connection document an authorization request's token response makes: the credentials encrypted
 * for the connection, the granted scopes (else the requested ones), when the tokens lapse, and the
 * provider's extra response fields. `fields` are written at every authorization of the connection,
 * `firstFields` only when it is created.
 */
export function authorizedConnection(
  request: Pick<OAuthRequestDoc, '_id' | 'accountId' | 'connectionId' | 'provider' | 'scopes' | 'connectionName'>,
  tokens: TokenEndpointResponse,
  provider: Pick<ProviderEntry, 'name' | 'apiBaseUri' | 'providerDataFields' | 'refreshTokenLifetimeSeconds'>,
  keyRing: KeyRing,
  now: Date,
): { fields: Omit<ConnectionDoc, '_id' | FirstFields>; firstFields: Pick<ConnectionDoc, FirstFields> } {
  const credentials: StoredCredentials = {
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
    ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
    ...(tokens.scope ? { scope: tokens.scope } : {}),
  };
  const providerData = Object.fromEntries(
    provider.providerDataFields.filter((f) => tokens[f] !== undefined).map((f) => [f, tokens[f]]),
  );
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
      apiBaseUri: provider.apiBaseUri ?? null,
      authorizationRequestId: request._id,
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
