import type { FastifyRequest } from 'fastify';
import type { ApiTokenDoc } from '../../lib/store/documents.js';
import type { Store } from '../../lib/store/openStore.js';
import { codecSessionToken } from '../../lib/store/codecSessions.js';
import { tokenAuthenticator } from '../auth/authenticate.js';
import { HttpError } from '../errors/HttpError.js';

export const CODEC_COOKIE = 'cf_codec';

/**
 * Who may decode (or `purpose`, said in the 403): an operator token (scope `operator`), given as Bearer or by a live session whose
 * cookie holds the session's random id. Account tokens, account:admin included, are refused (403).
 */
export function operatorAuthenticator(store: Store, purpose = 'decoding payloads') {
  const tokens = tokenAuthenticator(store);
  const requireOperator = (found: ApiTokenDoc): ApiTokenDoc => {
    if (!found.scopes.includes('operator'))
      throw new HttpError(403, 'forbidden', `${purpose} needs an operator token (npm run token -- create --operator)`);
    return found;
  };
  return {
    /** A token pasted into the session form or sent as Bearer. */
    token: async (request: FastifyRequest, given?: string) => requireOperator(await tokens.byToken(request, given)),
    /** The session cookie when present (unknown or expired: 401), else the Bearer token. */
    request: async (request: FastifyRequest) => {
      const sessionId = readCookie(request.headers.cookie, CODEC_COOKIE);
      if (sessionId === undefined) return requireOperator(await tokens.byToken(request));
      const tokenHash = await codecSessionToken(store, sessionId);
      if (!tokenHash)
        throw new HttpError(401, 'unauthorized', 'unknown or expired codec session; start one at /codec/session');
      return requireOperator(await tokens.byHash(request, tokenHash));
    },
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}
