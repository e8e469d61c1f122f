import { TokenCache } from '../../lib/proxy/tokenCache.js';
import { readCredentials } from '../../lib/store/readCredentials.js';
import type { ApiContext } from '../ApiContext.js';
import { connectionAccess } from '../connections/connectionAccess.js';

const caches = new WeakMap<ApiContext, TokenCache>();

/**
 * The proxy's token cache of one API (one per context, so the connections routes can evict what
 * they refresh or delete). A refresh goes through the connection's workflow, coalesced.
 */
export function proxyTokens(ctx: ApiContext): TokenCache {
  let cache = caches.get(ctx);
  if (!cache) {
    const { refreshNow } = connectionAccess(ctx);
    cache = new TokenCache({
      read: (id) => ctx.store.connections.findOne({ _id: id }),
      accessTokenOf: (doc) => readCredentials(ctx.keyRing, doc).access_token,
      refresh: refreshNow,
      now: Date.now,
    });
    caches.set(ctx, cache);
  }
  return cache;
}
