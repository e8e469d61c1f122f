import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { secretHash } from '../../lib/crypto/secretHash.js';
import type { ApiScope } from '../../lib/store/documents.js';
import type { Store } from '../../lib/store/openStore.js';
import { HttpError } from '../errors/HttpError.js';
import { setById } from '../../lib/store/setById.js';

export interface Caller {
  accountId: string;
  scopes: ApiScope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{10,200})\s*$/i;

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves an API token (from `Authorization: Bearer`, or given) to its account: looked up by its
 * SHA-256 hash, compared again in constant time, revoked tokens refused from the next request on.
 */
export function tokenAuthenticator(store: Store) {
  return async (request: FastifyRequest, given?: string): Promise<void> => {
    const header = request.headers.authorization;
    const token = given ?? (typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined);
    if (!token) throw new HttpError(401, 'unauthorized', 'missing or malformed Authorization: Bearer <api token>');
    const tokenHash = secretHash(token);
    const found = await store.apiTokens.findOne({ _id: tokenHash });
    if (!found || found.revokedAt || !timingSafeEqual(Buffer.from(found._id), Buffer.from(tokenHash))) {
      throw new HttpError(401, 'unauthorized', 'unknown or revoked API token');
    }
    request.caller = { accountId: found.accountId, scopes: found.scopes };
    // lastUsedAt to the minute: one write per token per minute, not one per request.
    const now = new Date();
    if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      setById(store.apiTokens, tokenHash, { $set: { lastUsedAt: now } }).catch((err: unknown) =>
        request.log.warn({ err }, 'could not record API token use'),
      );
    }
  };
}

/** onRequest hook for /api: the Bearer API token names the calling account. */
export function authenticate(store: Store) {
  const authenticateToken = tokenAuthenticator(store);
  return async (request: FastifyRequest): Promise<void> => authenticateToken(request);
}

/** `connection:edit` includes `connection:read`; `account:admin` includes both. */
export function hasScope(caller: Caller, scope: ApiScope): boolean {
  if (caller.scopes.includes(scope) || caller.scopes.includes('account:admin')) return true;
  return scope === 'connection:read' && caller.scopes.includes('connection:edit');
}

/** preHandler: 403 unless the caller's token has the scope. */
export function requireScope(scope: ApiScope) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (!request.caller || !hasScope(request.caller, scope)) {
      throw new HttpError(403, 'forbidden', `this API token lacks the scope ${scope}`);
    }
  };
}

export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new HttpError(401, 'unauthorized', 'not authenticated');
  return request.caller;
}
