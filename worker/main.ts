import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/createActivities.js';
import { callbackUrl, loadConfig, refreshTiming } from '../lib/config.js';
import { loadKeyRing } from '../lib/crypto/keyRing.js';
import { loadCatalog } from '../lib/providers/catalog.js';
import { openStore } from '../lib/store/openStore.js';
import { connectTemporalClient } from '../lib/temporal/connectTemporalClient.js';
import { EncryptionCodec } from '../lib/temporal/encryptionCodec.js';
import { bundleWorkflowsInChild } from './bundleWorkflows.js';
import { createWorkerLogger } from './createWorkerLogger.js';
import { ensureRefreshAuditSchedule } from '../lib/temporal/ensureRefreshAuditSchedule.js';

/** The worker process (`node .build/worker.js`, compiled by scripts/stack/compileServices.ts). Temporal's runtime shuts it down gracefully on SIGTERM/SIGINT. */
const config = loadConfig();
Runtime.install({ logger: createWorkerLogger(config.LOG_LEVEL) });
const keyRing = loadKeyRing(config);
const store = await openStore(config);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = await connectTemporalClient(config, keyRing);
await ensureRefreshAuditSchedule(temporal, config);
const { catalog, problems } = await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR);
for (const { id, problem } of problems) Runtime.instance().logger.error(`catalog entry ${id} left out: ${problem}`);
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  workflowBundle: await bundleWorkflowsInChild(),
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
Runtime.instance().logger.info(`worker polling task queue ${config.TEMPORAL_TASK_QUEUE} at ${config.TEMPORAL_ADDRESS}`);
try {
  await worker.run();
} finally {
  await store.close();
  await temporal.connection.close();
  await connection.close();
}
