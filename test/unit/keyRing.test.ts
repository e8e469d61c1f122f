import { describe, expect, it } from 'vitest';
import { generateKeySpec, parseKeyRing } from '../../lib/crypto/keyRing.js';

describe('key ring envelopes', () => {
  const a = generateKeySpec('a');
  const b = generateKeySpec('b');

  it('round-trips and never contains the plaintext', () => {
    const ring = parseKeyRing(a);
    const envelope = ring.encryptJson({ access_token: 'secret-access-token' }, 'conn-1');
    expect(envelope).toMatch(/^cf1\.a\./);
    expect(envelope).not.toContain('secret-access-token');
    expect(ring.decryptJson(envelope, 'conn-1')).toEqual({ access_token: 'secret-access-token' });
  });

  it('encrypts with the newest key and still reads envelopes of older keys in the ring', () => {
    const old = parseKeyRing(a).encryptJson('x');
    const rotated = parseKeyRing(`${b},${a}`);
    expect(rotated.encryptJson('y')).toMatch(/^cf1\.b\./);
    expect(rotated.decryptJson(old)).toBe('x');
  });

  it('refuses an envelope moved to another record, tampered with, or made by an unknown key', () => {
    const ring = parseKeyRing(a);
    const envelope = ring.encryptJson('x', 'conn-1');
    expect(() => ring.decrypt(envelope, 'conn-2')).toThrow();
    const parts = envelope.split('.');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => ring.decrypt(parts.join('.'), 'conn-1')).toThrow();
    expect(() => parseKeyRing(b).decrypt(envelope, 'conn-1')).toThrow(/not in the key ring/);
  });

  it('rejects malformed key specs', () => {
    expect(() => parseKeyRing('')).toThrow();
    expect(() => parseKeyRing('nokey')).toThrow();
    expect(() => parseKeyRing('k:' + Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
  });
});

describe('loadKeyRing', async () => {
  const { loadKeyRing } = await import('../../lib/crypto/keyRing.js');
  it('refuses to run in production without configured keys (no silent dev key)', () => {
    expect(() =>
      loadKeyRing({
        NODE_ENV: 'production',
        CONNECTFLOW_DATA_DIR: '/nonexistent',
        CONNECTFLOW_ENCRYPTION_KEYS: undefined,
      }),
    ).toThrow(/CONNECTFLOW_ENCRYPTION_KEYS is required in production/);
  });
});
