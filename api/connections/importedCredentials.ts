import type { ImportedCredentials } from '../../lib/store/documents.js';
import { HttpError } from '../errors/HttpError.js';

/** Tokens as a client sends them for import (the token response's field names). */
export interface SentTokens {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  expires_at?: string | null;
  scope?: string;
  id_token?: string;
}

/** The tokens to import, with the access token's lapse as a time; a refresh token or an access token is needed. */
export function importedCredentials(sent: SentTokens, now = new Date()): ImportedCredentials {
  if (!sent.refresh_token && !sent.access_token) {
    throw new HttpError(400, 'bad_request', 'credentials to import need a refresh_token or an access_token', [
      { path: 'body.credentials', message: 'give refresh_token or access_token' },
    ]);
  }
  const expiresAt =
    sent.expires_at != null
      ? new Date(sent.expires_at).toISOString()
      : sent.expires_in !== undefined
        ? new Date(now.getTime() + sent.expires_in * 1000).toISOString()
        : null;
  return {
    ...(sent.access_token ? { access_token: sent.access_token } : {}),
    ...(sent.refresh_token ? { refresh_token: sent.refresh_token } : {}),
    ...(sent.token_type ? { token_type: sent.token_type } : {}),
    expires_at: expiresAt,
    ...(sent.scope ? { scope: sent.scope } : {}),
    ...(sent.id_token ? { id_token: sent.id_token } : {}),
  };
}
