import { Worker, type NativeConnection } from '@temporalio/worker';
import { createWebhookActivities } from '../activities/deliverWebhooks.js';
import type { Config } from '../lib/config.js';
import { webhookTaskQueue } from '../lib/temporal/names.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { Store } from '../lib/store/openStore.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';

export interface WebhookWorkerDeps {
  config: Config;
  connection: NativeConnection;
  store: Store;
  keyRing: KeyRing;
}

/**
 * The worker of webhook delivery activities (the HTTP POSTs and their bookkeeping), on a task queue of
 * their own: receivers that are slow or down fill only its slots (bounded here), never those of the
 * connections' activities. The lanes' workflows, which only wait and order, run with the connections'.
 */
export function createWebhookWorker({ config, connection, store, keyRing }: WebhookWorkerDeps) {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: webhookTaskQueue(config.TEMPORAL_TASK_QUEUE),
    activities: createWebhookActivities({
      store,
      keyRing,
      policy: { allowLoopback: config.NODE_ENV !== 'production' },
      attemptTimeoutMs: config.CONNECTFLOW_WEBHOOK_TIMEOUT_SECONDS * 1000,
    }),
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
    maxConcurrentActivityTaskExecutions: 50,
    shutdownGraceTime: '10 seconds',
  });
}
