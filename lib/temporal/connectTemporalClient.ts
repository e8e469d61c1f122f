import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { Config } from '../config.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { EncryptionCodec } from './encryptionCodec.js';

/** A Temporal client whose payloads are encrypted with the key ring (the worker uses the same codec). */
export async function connectTemporalClient(
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
  keyRing: KeyRing,
): Promise<Client> {
  const connection = await Connection.connect({
    address: config.TEMPORAL_ADDRESS,
    // Five attempts (about 2 s of backoff) instead of the SDK's ten (about 20 s): with Temporal away, a
    // request is answered 503 promptly instead of holding the user's browser; callers retry.
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 5 }))],
  });
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
  });
}
