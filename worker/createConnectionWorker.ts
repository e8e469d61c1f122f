import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities/createActivities.js';
import { callbackUrl, refreshTiming, webhookRetry, type Config } from '../lib/config.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import { loadCatalog } from '../lib/providers/catalog.js';
import type { Store } from '../lib/store/openStore.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { workflowCode } from './workflowCode.js';

export interface ConnectionWorkerDeps {
  config: Config;
  /** the environment the catalog and the providers' client credentials are read from */
  env: NodeJS.ProcessEnv;
  connection: NativeConnection;
  temporal: Client;
  store: Store;
  keyRing: KeyRing;
}

/** The worker that runs connectflow's workflows and activities on the configured task queue. */
export function createConnectionWorker({ config, env, connection, temporal, store, keyRing }: ConnectionWorkerDeps) {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...workflowCode(),
    activities: createActivities({
      store,
      keyRing,
      catalog: loadCatalog(env),
      env,
      redirectUri: callbackUrl(config),
      temporal,
      timing: refreshTiming(config),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      webhookRetry: webhookRetry(config),
      eventRetentionDays: config.CONNECTFLOW_EVENT_RETENTION_DAYS,
      pauseDir: config.CONNECTFLOW_TEST_PAUSE_DIR,
    }),
    dataConverter: { payloadCodecs: [new EncryptionCodec(keyRing)] },
    shutdownGraceTime: '10 seconds',
    maxCachedWorkflows: config.CONNECTFLOW_WORKER_MAX_CACHED_WORKFLOWS,
  });
}
