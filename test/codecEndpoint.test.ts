import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('the codec endpoint the Temporal UI uses', () => {
  it('decodes payloads for an account:admin token (header or session cookie), refuses others, and answers the UI origin with CORS', async () => {
    const [encoded] = await new EncryptionCodec(keyRing).encode([
      { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('{"hello":"operator"}') },
    ]);
    const body = JSON.stringify({ payloads: [{ metadata: { encoding: b64(encoded!.metadata!.encoding!) }, data: b64(encoded!.data!) }] });
    const decode = (headers: Record<string, string>) =>
      fetch(`${stack.apiUrl}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const admin = (await newAccount(store, ['account:admin'])).token;
    const ok = await decode({ authorization: `Bearer ${admin}` });
    expect(ok.status).toBe(200);
    const [payload] = (await ok.json()).payloads;
    expect(Buffer.from(payload.data, 'base64').toString()).toBe('{"hello":"operator"}');
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('json/plain');

    expect((await decode({})).status).toBe(401);
    expect((await decode({ authorization: `Bearer ${(await newAccount(store)).token}` })).status).toBe(403);

    const session = await fetch(`${stack.apiUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: admin }),
      redirect: 'manual',
    });
    expect(session.status).toBe(200);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    expect(session.headers.get('set-cookie')).toMatch(/HttpOnly/);
    expect((await decode({ cookie })).status).toBe(200);

    const preflight = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: stack.temporalUiUrl!, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(stack.temporalUiUrl);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await decode({ origin: 'https://evil.example', authorization: `Bearer ${admin}` });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});
