import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities/createActivities.js';
import { callbackUrl, refreshTiming, type Config } from '../lib/config.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { ProviderCatalog } from '../lib/providers/catalog.js';
import type { Store } from '../lib/store/openStore.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { workflowCode } from './workflowCode.js';

export interface ConnectionWorkerDeps {
  config: Config;
  catalog: ProviderCatalog;
  connection: NativeConnection;
  temporal: Client;
  store: Store;
  keyRing: KeyRing;
}

/** The worker that runs connectflow's workflows and activities on the configured task queue. */
export function createConnectionWorker({
  config,
  catalog,
  connection,
  temporal,
  store,
  keyRing,
}: ConnectionWorkerDeps) {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowCode(),
    activities: createActivities({
      store,
      keyRing,
      catalog,
      config,
      redirectUri: callbackUrl(config),
      temporal,
      timing: refreshTiming(config),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      pauseDir: config.CONNECTFLOW_TEST_PAUSE_DIR,
    }),
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
    shutdownGraceTime: '10 seconds',
    maxCachedWorkflows: config.CONNECTFLOW_WORKER_MAX_CACHED_WORKFLOWS,
  });
}
