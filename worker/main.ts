import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../lib/config.js';
import { loadKeyRing } from '../lib/crypto/keyRing.js';
import { loadCatalog } from '../lib/providers/catalog.js';
import { openStore } from '../lib/store/openStore.js';
import { connectTemporalClient } from '../lib/temporal/connectTemporalClient.js';
import { ensureRefreshAuditSchedule } from '../lib/temporal/ensureRefreshAuditSchedule.js';
import { createConnectionWorker } from './createConnectionWorker.js';
import { createWorkerLogger } from './createWorkerLogger.js';
import { createWebhookWorker } from './createWebhookWorker.js';

/** The worker process (`node .build/worker.js`, compiled by scripts/build.ts). Temporal's runtime shuts it down gracefully on SIGTERM/SIGINT. */
const config = loadConfig();
Runtime.install({ logger: createWorkerLogger(config.LOG_LEVEL) });
const keyRing = loadKeyRing(config);
const store = await openStore(config);
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = await connectTemporalClient(config, keyRing);
await ensureRefreshAuditSchedule(temporal, config);
const { catalog, problems } = await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR);
for (const { id, problem } of problems) Runtime.instance().logger.error(`catalog entry ${id} left out: ${problem}`);
const worker = await createConnectionWorker({ config, catalog, connection, temporal, store, keyRing });
const webhookWorker = await createWebhookWorker({ config, connection, store, keyRing });
Runtime.instance().logger.info(`worker polling task queue ${config.TEMPORAL_TASK_QUEUE} at ${config.TEMPORAL_ADDRESS}`);
try {
  // Both shut down on SIGTERM/SIGINT; if one fails, the other is stopped too.
  await Promise.all([worker.run(), webhookWorker.run()].map((run) => run.catch(stopBoth)));
} finally {
  await store.close();
  await temporal.connection.close();
  await connection.close();
}

function stopBoth(err: unknown): never {
  for (const w of [worker, webhookWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  throw err;
}
