import { loadConfig } from '../lib/config.js';
import { loadKeyRing } from '../lib/crypto/keyRing.js';
import { loadCatalog } from '../lib/providers/catalog.js';
import { warmDiscovery } from '../lib/providers/resolveAuthorizationServer.js';
import { openStore } from '../lib/store/openStore.js';
import { connectTemporalClient } from '../lib/temporal/connectTemporalClient.js';
import { buildApp } from './buildApp.js';
import { connectionCountsRegistry } from '../lib/metrics/connectionCounts.js';
import { metricsRegistry } from '../lib/metrics/registry.js';
import { serveMetrics } from '../lib/metrics/serveMetrics.js';

/** The API process (`node .build/api.js`, compiled by scripts/build.ts). Stops accepting on SIGTERM/SIGINT and drains in-flight requests. */
const config = loadConfig();
const keyRing = loadKeyRing(config);
const store = await openStore(config);
const temporal = await connectTemporalClient(config, keyRing);
const { catalog, problems } = await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR);
const app = await buildApp({ config, store, temporal, catalog, keyRing });
for (const { id, problem } of problems) app.log.error({ provider: id, problem }, `catalog entry ${id} left out`);
app.log.info(`catalog: ${catalog.entries.length} providers`);
warmDiscovery(catalog.entries);
await app.listen({ host: config.HOST, port: config.PORT });
const metricsPort = config.CONNECTFLOW_METRICS_PORT;
const metricsServer =
  metricsPort === undefined
    ? undefined
    : await serveMetrics(
        [metricsRegistry, connectionCountsRegistry(store)],
        config.CONNECTFLOW_METRICS_HOST,
        metricsPort,
      );
if (metricsServer) app.log.info(`metrics on http://${config.CONNECTFLOW_METRICS_HOST}:${metricsPort}/metrics`);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // Drain: stop accepting, let in-flight requests finish, and close keep-alive connections as they
    // fall idle (a connection busy when close() began would otherwise stay open after its response).
    const sweeper = setInterval(() => app.server.closeIdleConnections(), 200);
    setTimeout(() => process.exit(1), 60_000).unref();
    metricsServer?.close();
    void app
      .close()
      .then(() => Promise.all([store.close(), temporal.connection.close()]))
      .then(
        () => process.exit(0),
        () => process.exit(1),
      )
      .finally(() => clearInterval(sweeper));
  });
}
