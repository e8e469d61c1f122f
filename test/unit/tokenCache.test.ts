import { describe, expect, it } from 'vitest';
import type { ConnectionDoc, ConnectionStatus } from '../../lib/store/documents.js';
import { EARLY_MS, MAX_AGE_MS, TokenCache } from '../../lib/proxy/tokenCache.js';

/** A store of one connection whose "envelope" is the token itself, a clock, and a refresh that mints `t<n>`. */
function harness(
  options: { expiresInMs?: number | null; status?: ConnectionStatus; refreshTo?: ConnectionStatus } = {},
) {
  let now = 1_000_000;
  const counts = { reads: 0, refreshes: 0, decrypts: 0 };
  let release: (() => void) | undefined;
  const expiresIn = options.expiresInMs === undefined ? 3_600_000 : options.expiresInMs;
  let doc: ConnectionDoc = {
    _id: 'c1',
    accountId: 'a1',
    provider: 'demo',
    name: 'x',
    status: options.status ?? 'active',
    credentials: 't0',
    scopes: [],
    tokenExpiresAt: expiresIn === null ? null : new Date(now + expiresIn),
    refreshTokenExpiresAt: null,
    lastAuthorizedAt: new Date(now),
    lastRefreshedAt: null,
    providerData: {},
    apiBaseUri: null,
    authorizationRequestId: 'r',
    adoptedAt: null,
    createdAt: new Date(now),
    updatedAt: new Date(now),
  };
  const cache = new TokenCache({
    read: async () => {
      counts.reads++;
      return doc;
    },
    accessTokenOf: (d) => {
      counts.decrypts++;
      return d.credentials;
    },
    refresh: async () => {
      counts.refreshes++;
      await new Promise<void>((resolve) => (release = resolve));
      const status = options.refreshTo ?? 'active';
      if (status === 'active') {
        doc = { ...doc, credentials: `t${counts.refreshes}`, tokenExpiresAt: new Date(now + 3_600_000) };
      } else doc = { ...doc, status };
      return { status, doc };
    },
    now: () => now,
  });
  return {
    cache,
    counts,
    advance: (ms: number) => (now += ms),
    /** lets the refresh in flight finish, once it has started */
    async finishRefresh() {
      while (!release) await new Promise((r) => setImmediate(r));
      release();
      release = undefined;
    },
    setStored: (change: Partial<ConnectionDoc>) => (doc = { ...doc, ...change }),
  };
}

describe('TokenCache', () => {
  it('reads and decrypts once, then answers from memory until shortly before expiry', async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) expect((await h.cache.current('c1'))?.accessToken).toBe('t0');
    expect(h.counts).toEqual({ reads: 1, refreshes: 0, decrypts: 1 });
    h.advance(MAX_AGE_MS + 1);
    await h.cache.current('c1');
    expect(h.counts.reads).toBe(2);
  });

  it('re-reads when the token is about to expire, and caches none that close to it', async () => {
    const h = harness({ expiresInMs: EARLY_MS + 10_000 });
    await h.cache.current('c1');
    h.advance(10_001);
    await h.cache.current('c1');
    await h.cache.current('c1');
    expect(h.counts.reads).toBe(3);
    expect(h.counts.refreshes).toBe(0);
  });

  it('200 simultaneous calls on an expired token share one read and one refresh', async () => {
    const h = harness({ expiresInMs: -1000 });
    const calls = Array.from({ length: 200 }, () => h.cache.current('c1'));
    await h.finishRefresh();
    const answers = await Promise.all(calls);
    expect(new Set(answers.map((a) => a?.accessToken))).toEqual(new Set(['t1']));
    expect(answers.every((a) => a?.refreshed)).toBe(true);
    expect(h.counts).toMatchObject({ reads: 1, refreshes: 1 });
    expect((await h.cache.current('c1'))?.refreshed).toBe(false);
  });

  it('after a 401: one refresh for all who saw it; a later rejection of the old token gets the new one', async () => {
    const h = harness();
    await h.cache.current('c1');
    const rejected = Array.from({ length: 20 }, () => h.cache.afterRejection('c1', 't0'));
    await h.finishRefresh();
    expect(new Set((await Promise.all(rejected)).map((a) => a?.accessToken))).toEqual(new Set(['t1']));
    expect((await h.cache.afterRejection('c1', 't0'))?.accessToken).toBe('t1');
    expect(h.counts.refreshes).toBe(1);
  });

  it('after a 401, takes a newer stored token (refreshed elsewhere) without refreshing', async () => {
    const h = harness();
    await h.cache.current('c1');
    h.setStored({ credentials: 'elsewhere' });
    expect((await h.cache.afterRejection('c1', 't0'))?.accessToken).toBe('elsewhere');
    expect(h.counts.refreshes).toBe(0);
  });

  it('keeps no needs_reauth or deleted connection, and forgets an evicted one', async () => {
    const reauth = harness({ status: 'needs_reauth' });
    expect((await reauth.cache.current('c1'))?.doc.status).toBe('needs_reauth');
    await reauth.cache.current('c1');
    expect(reauth.counts.reads).toBe(2);

    const deleted = harness({ status: 'deleted' });
    expect(await deleted.cache.current('c1')).toBeNull();

    const h = harness();
    await h.cache.current('c1');
    h.cache.evict('c1');
    await h.cache.current('c1');
    expect(h.counts.reads).toBe(2);
  });

  it('a refresh that ends in needs_reauth is answered with that status and not kept', async () => {
    const h = harness({ expiresInMs: -1, refreshTo: 'needs_reauth' });
    const pending = h.cache.current('c1');
    await h.finishRefresh();
    expect((await pending)?.doc.status).toBe('needs_reauth');
  });

  it('a token without an expiry is kept for the maximum age', async () => {
    const h = harness({ expiresInMs: null });
    await h.cache.current('c1');
    h.advance(MAX_AGE_MS - 1);
    await h.cache.current('c1');
    expect(h.counts.reads).toBe(1);
  });
});
