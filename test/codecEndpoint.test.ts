import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../lib/crypto/secretHash.js';
import { createOperatorToken, revokeApiToken } from '../lib/store/apiTokens.js';
import type { Store } from '../lib/store/openStore.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { keyRing, newAccount, openTestStore, stack } from './support/testStack.js';

let store: Store;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => {
  await store?.close();
});

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

async function encodedBody(): Promise<string> {
  const [encoded] = await new EncryptionCodec(keyRing).encode([
    {
      metadata: { encoding: new TextEncoder().encode('json/plain') },
      data: new TextEncoder().encode('{"hello":"operator"}'),
    },
  ]);
  return JSON.stringify({
    payloads: [{ metadata: { encoding: b64(encoded!.metadata!.encoding!) }, data: b64(encoded!.data!) }],
  });
}

const decoder = (body: string) => (headers: Record<string, string>) =>
  fetch(`${stack.apiUrl}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const startSession = (token: string) =>
  fetch(`${stack.apiUrl}/codec/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });

describe('the codec endpoint the Temporal UI uses', () => {
  it('decodes payloads for an operator token (header or session cookie), refuses account tokens, and answers the UI origin with CORS', async () => {
    const decode = decoder(await encodedBody());
    const operator = (await createOperatorToken(store, { name: 'test operator' })).token;
    const ok = await decode({ authorization: `Bearer ${operator}` });
    expect(ok.status).toBe(200);
    const [payload] = (await ok.json()).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe('{"hello":"operator"}');
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');

    expect((await decode({})).status).toBe(401);
    // Decoding is an operator power: no account token has it, account:admin included.
    const admin = (await newAccount(store, ['account:admin'])).token;
    expect((await decode({ authorization: `Bearer ${admin}` })).status).toBe(403);
    expect((await decode({ authorization: `Bearer ${(await newAccount(store)).token}` })).status).toBe(403);
    expect((await startSession(admin)).status).toBe(403);
    // And an operator token acts on no account's connections.
    const api = await fetch(`${stack.apiUrl}/api/connections`, { headers: { authorization: `Bearer ${operator}` } });
    expect(api.status).toBe(403);

    const preflight = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: stack.temporalUiUrl!,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(stack.temporalUiUrl);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await decode({ origin: 'https://evil.example', authorization: `Bearer ${operator}` });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the session cookie is a random expiring id stored hashed, never the token; expired, unknown or revoked sessions are refused', async () => {
    const decode = decoder(await encodedBody());
    const { token, tokenId } = await createOperatorToken(store, { name: 'session operator' });
    const session = await startSession(token);
    expect(session.status).toBe(200);
    const setCookie = session.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Max-Age=28800/);
    const cookie = setCookie.split(';')[0]!;
    const sessionId = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    expect(sessionId).not.toContain(token);
    expect(setCookie).not.toContain(token);
    expect((await decode({ cookie })).status).toBe(200);

    const stored = await store.db.collection('codec_sessions').findOne({ _id: secretHash(sessionId) as never });
    expect(stored).toMatchObject({ tokenHash: secretHash(token) });
    expect(await store.db.collection('codec_sessions').findOne({ _id: sessionId as never })).toBeNull();
    const lifetimeMs = stored!.expiresAt.getTime() - stored!.createdAt.getTime();
    expect(lifetimeMs).toBe(8 * 3600 * 1000);

    // A cookie carrying the token itself, or a made-up id, is no session.
    expect((await decode({ cookie: `cf_codec=${token}` })).status).toBe(401);
    expect((await decode({ cookie: 'cf_codec=made-up-session-id' })).status).toBe(401);

    // Expiry is checked on each decode.
    await store.db
      .collection('codec_sessions')
      .updateOne({ _id: secretHash(sessionId) as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await decode({ cookie })).status).toBe(401);

    // Revoking the operator token ends its sessions.
    const second = (await startSession(token)).headers.get('set-cookie')!.split(';')[0]!;
    expect((await decode({ cookie: second })).status).toBe(200);
    expect(await revokeApiToken(store, tokenId)).toBe(true);
    expect((await decode({ cookie: second })).status).toBe(401);
  });
});
