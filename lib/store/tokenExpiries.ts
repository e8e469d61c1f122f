import type { TokenEndpointResponse } from 'oauth4webapi';
import type { ProviderEntry } from '../providers/providerEntry.js';

/**
 * When the tokens of a token response lapse. The access token: `expires_in`, else unknown (null);
 * never, whatever is stated, for a provider whose access tokens do not expire.
 * The refresh token: `refresh_token_expires_in`, else the catalog's lifetime for each issued refresh
 * token; a response that issued no refresh token keeps the previous one's expiry.
 */
export function tokenExpiries(
  tokens: TokenEndpointResponse,
  provider: Pick<ProviderEntry, 'refreshTokenLifetimeSeconds'> &
    Partial<Pick<ProviderEntry, 'accessTokenNeverExpires'>>,
  issuedAt: Date,
  previousRefreshTokenExpiresAt: Date | null,
): { tokenExpiresAt: Date | null; refreshTokenExpiresAt: Date | null } {
  const at = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);
  const tokenExpiresAt =
    typeof tokens.expires_in === 'number' && !provider.accessTokenNeverExpires ? at(tokens.expires_in) : null;
  const statedLifetime = Number(tokens['refresh_token_expires_in']);
  const issuedRefreshToken = typeof tokens.refresh_token === 'string' && tokens.refresh_token.length > 0;
  let refreshTokenExpiresAt = previousRefreshTokenExpiresAt;
  if (Number.isFinite(statedLifetime) && statedLifetime > 0) refreshTokenExpiresAt = at(statedLifetime);
  else if (issuedRefreshToken) {
    refreshTokenExpiresAt = provider.refreshTokenLifetimeSeconds ? at(provider.refreshTokenLifetimeSeconds) : null;
  }
  return { tokenExpiresAt, refreshTokenExpiresAt };
}
