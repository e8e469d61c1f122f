import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import type { KeyRing } from '../crypto/keyRing.js';
import { EncryptionCodec } from './encryptionCodec.js';

/** A Temporal client whose payloads are encrypted with the key ring (the worker uses the same codec). */
export async function connectTemporalClient(
  config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>,
  keyRing: KeyRing,
): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
  });
}
