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
import { metricsRegistry } from '../lib/metrics/registry.js';
import { serveMetrics } from '../lib/metrics/serveMetrics.js';

/** The worker process (`node .build/worker.js`, compiled by scripts/build.ts). Temporal's runtime shuts it down gracefully on SIGTERM/SIGINT. */
const config = loadConfig();
const metricsHost = config.CONNECTFLOW_METRICS_HOST;
const temporalMetricsPort = config.CONNECTFLOW_WORKER_TEMPORAL_METRICS_PORT;
Runtime.install({
  logger: createWorkerLogger(config.LOG_LEVEL),
  // The SDK's own metrics (task slots, polls, latencies) from its core, on a port of their own.
  ...(temporalMetricsPort === undefined
    ? {}
    : { telemetryOptions: { metrics: { prometheus: { bindAddress: hostPort(metricsHost, temporalMetricsPort) } } } }),
});
const metricsPort = config.CONNECTFLOW_WORKER_METRICS_PORT;
const metricsServer =
  metricsPort === undefined ? undefined : await serveMetrics([metricsRegistry], metricsHost, metricsPort);
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
  metricsServer?.close();
  await store.close();
  await temporal.connection.close();
  await connection.close();
}

function stopBoth(err: unknown): never {
  for (const w of [worker, webhookWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  throw err;
}

/** `host:port`, an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
