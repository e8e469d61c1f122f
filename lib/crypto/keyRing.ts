import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';

/**
 * An AES-256-GCM key ring. The first key encrypts; any key decrypts. Envelopes are strings
 * `cf1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url) so they name the key that made them.
 */
export interface KeyRing {
  readonly currentKeyId: string;
  encrypt(plaintext: Uint8Array, associatedData?: string): string;
  decrypt(envelope: string, associatedData?: string): Buffer;
  encryptJson(value: unknown, associatedData?: string): string;
  decryptJson<T>(envelope: string, associatedData?: string): T;
}

const PREFIX = 'cf1';

export function parseKeyRing(spec: string): KeyRing {
  const keys = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const sep = entry.indexOf(':');
      if (sep <= 0) throw new Error('CONNECTFLOW_ENCRYPTION_KEYS entries must be <keyId>:<base64 32-byte key>');
      const id = entry.slice(0, sep);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`invalid key id "${id}"`);
      const key = Buffer.from(entry.slice(sep + 1), 'base64');
      if (key.length !== 32) throw new Error(`key "${id}" must be 32 bytes (base64), got ${key.length}`);
      return { id, key };
    });
  const first = keys[0];
  if (!first) throw new Error('CONNECTFLOW_ENCRYPTION_KEYS holds no key');
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  const encrypt = (plaintext: Uint8Array, associatedData = ''): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', first.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [PREFIX, first.id, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
  };
  const decrypt = (envelope: string, associatedData = ''): Buffer => {
    const [prefix, keyId, iv, tag, ct] = envelope.split('.');
    if (prefix !== PREFIX || !keyId || iv === undefined || tag === undefined || ct === undefined) {
      throw new Error('not a connectflow envelope');
    }
    const key = byId.get(keyId);
    if (!key) throw new Error(`envelope was made with key "${keyId}", which is not in the key ring`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  };
  return {
    currentKeyId: first.id,
    encrypt,
    decrypt,
    encryptJson: (value, ad) => encrypt(Buffer.from(JSON.stringify(value)), ad),
    decryptJson: <T>(envelope: string, ad?: string) => JSON.parse(decrypt(envelope, ad).toString('utf8')) as T,
  };
}

export function generateKeySpec(keyId: string): string {
  return `${keyId}:${randomBytes(32).toString('base64')}`;
}

/**
 * The configured key ring; in development and test, a key generated once into the data dir.
 * Production refuses to run without CONNECTFLOW_ENCRYPTION_KEYS.
 */
export function loadKeyRing(
  config: Pick<Config, 'CONNECTFLOW_ENCRYPTION_KEYS' | 'CONNECTFLOW_DATA_DIR' | 'NODE_ENV'>,
): KeyRing {
  if (config.CONNECTFLOW_ENCRYPTION_KEYS) return parseKeyRing(config.CONNECTFLOW_ENCRYPTION_KEYS);
  if (config.NODE_ENV === 'production') {
    throw new Error('CONNECTFLOW_ENCRYPTION_KEYS is required in production (keyId:base64key, newest first)');
  }
  const file = join(config.CONNECTFLOW_DATA_DIR, 'dev-encryption-keys');
  if (!existsSync(file)) {
    mkdirSync(config.CONNECTFLOW_DATA_DIR, { recursive: true });
    try {
      writeFileSync(file, generateKeySpec('dev1') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseKeyRing(readFileSync(file, 'utf8').trim());
}
