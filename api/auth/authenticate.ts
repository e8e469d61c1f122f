import type { FastifyRequest } from 'fastify';
import { secretHash } from '../../lib/crypto/secretHash.js';
import type { ApiScope, ApiTokenDoc } from '../../lib/store/documents.js';
import { findApiToken, recordApiTokenUse } from '../../lib/store/apiTokens.js';
import type { Store } from '../../lib/store/openStore.js';
import { HttpError } from '../errors/HttpError.js';
import { Singleflight } from '../../lib/Singleflight.js';

export interface Caller {
  accountId: string;
  scopes: ApiScope[];
  /** the end user a user-bound token acts for; null: the account itself */
  userId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{10,200})\s*$/i;

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves an API token (from `Authorization: Bearer`, or given) to its stored document: looked up by
 * its SHA-256 hash (timing of that lookup reveals nothing of the token), revoked tokens refused (401)
 * from the next request on. Simultaneous requests with one token share one lookup; nothing is cached
 * past that read, so a request that joins a lookup begun before a revocation landed (at most one store
 * round trip earlier) is the only one that can still pass.
 */
export function tokenAuthenticator(store: Store) {
  const lookups = new Singleflight<ApiTokenDoc | null>();
  const lookUp = async (tokenHash: string, request: FastifyRequest): Promise<ApiTokenDoc | null> => {
    const found = await findApiToken(store, tokenHash);
    // lastUsedAt to the minute: one write per token per minute (and per lookup), not one per request.
    const now = new Date();
    if (
      found &&
      !found.revokedAt &&
      (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS)
    ) {
      recordApiTokenUse(store, tokenHash, now).catch((err: unknown) =>
        request.log.warn({ err }, 'could not record API token use'),
      );
    }
    return found;
  };
  /** By the token's hash (a codec session keeps only that). */
  const byHash = async (request: FastifyRequest, tokenHash: string): Promise<ApiTokenDoc> => {
    const found = await lookups.run(tokenHash, () => lookUp(tokenHash, request));
    if (!found || found.revokedAt) throw new HttpError(401, 'unauthorized', 'unknown or revoked API token');
    if (found.expiresAt && found.expiresAt.getTime() <= Date.now())
      throw new HttpError(401, 'token_expired', `this API token expired at ${found.expiresAt.toISOString()}`);
    return found;
  };
  const byToken = async (request: FastifyRequest, given?: string): Promise<ApiTokenDoc> => {
    const header = request.headers.authorization;
    const token = given ?? (typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined);
    if (!token) throw new HttpError(401, 'unauthorized', 'missing or malformed Authorization: Bearer <api token>');
    return byHash(request, secretHash(token));
  };
  return { byToken, byHash };
}

/** onRequest hook for /api: the Bearer API token names the calling account (operator tokens have none). */
export function authenticate(store: Store) {
  const tokens = tokenAuthenticator(store);
  return async (request: FastifyRequest): Promise<void> => {
    const found = await tokens.byToken(request);
    if (found.accountId === null)
      throw new HttpError(403, 'forbidden', 'an operator token decodes payloads at /codec only');
    request.caller = { accountId: found.accountId, scopes: found.scopes, userId: found.userId ?? null };
  };
}

/** `connection:edit` includes `connection:read`; `account:admin` includes both; nothing includes `operator`. */
export function hasScope(caller: Caller, scope: ApiScope): boolean {
  if (scope === 'operator') return caller.scopes.includes('operator');
  if (caller.scopes.includes(scope) || caller.scopes.includes('account:admin')) return true;
  return scope === 'connection:read' && caller.scopes.includes('connection:edit');
}

/** preHandler: 403 unless the caller's token has the scope. */
export function requireScope(scope: ApiScope) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.caller || !hasScope(request.caller, scope)) {
      throw new HttpError(403, 'forbidden', `this API token lacks the scope ${scope}`);
    }
  };
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new HttpError(401, 'unauthorized', 'not authenticated');
  return request.caller;
}
