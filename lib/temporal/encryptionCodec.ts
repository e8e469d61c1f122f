import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;
import type { KeyRing } from '../crypto/keyRing.js';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const text = new TextEncoder();
const untext = new TextDecoder();

/**
 * Encrypts every Temporal payload (workflow input, update arguments and results, activity
 * arguments and results) with the key ring, so codes and anything sensitive is ciphertext in history.
 * Used by the API's client and the worker alike.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: text.encode(ENCODING),
        [KEY_ID]: text.encode(this.keyRing.currentKeyId),
      },
      data: text.encode(this.keyRing.encrypt(temporal.api.common.v1.Payload.encode(payload).finish())),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || untext.decode(encoding) !== ENCODING || !payload.data) return payload;
      const plain = this.keyRing.decrypt(untext.decode(payload.data));
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
