import { NativeConnection } from '@temporalio/worker';
import { loadConfig, refreshTiming } from '../../lib/config.js';
import { loadCatalog } from '../../lib/providers/catalog.js';
import { openStore } from '../../lib/store/openStore.js';
import { createConnectionWorker } from '../../worker/createConnectionWorker.js';
import { createWebhookWorker } from '../../worker/createWebhookWorker.js';
import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../lib/store/openStore.js';
import { startInProcessApi } from './inProcessApi.js';
import { RiveryClient } from './RiveryClient.js';
import { connectTestTemporal, keyRing, newAccount, stack } from './testStack.js';

/**
 * An API and a worker in this test's process, on the stack's Temporal and MongoDB but on a task queue
 * of their own, so their connections run with this test's settings (e.g. the shipped refresh timing).
 * `apiEnv` overrides settings of the API only (as an API started before a settings change would have).
 * The provider's redirect still lands on the stack's callback, which reaches the workflow by its id.
 */
export async function startInProcessService(
  env: Record<string, string>,
  apiEnv: Record<string, string> = {},
  apiContext: Parameters<typeof startInProcessApi>[1] = {},
) {
  const taskQueue = `test-${Math.random().toString(36).slice(2, 10)}`;
  const appEnv = { ...stack.appEnv, LOG_LEVEL: 'silent', TEMPORAL_TASK_QUEUE: taskQueue, ...env };
  const config = loadConfig(appEnv);
  const store = await openStore(config);
  const temporal = await connectTestTemporal();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const { catalog, problems } = await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR);
  // A test's own catalog entries must load: a malformed one is a mistake in the test.
  if (problems.length > 0) throw new Error(`catalog problems: ${JSON.stringify(problems)}`);
  const worker = await createConnectionWorker({ config, catalog, connection, temporal, store, keyRing });
  const webhookWorker = await createWebhookWorker({ config, connection, store, keyRing });
  const running = Promise.all([worker.run(), webhookWorker.run()]);
  const api = await startInProcessApi({ ...appEnv, ...apiEnv }, apiContext);
  return {
    url: api.url,
    timing: refreshTiming(config),
    close: async () => {
      await api.close();
      worker.shutdown();
      webhookWorker.shutdown();
      await running;
      await connection.close();
      await temporal.connection.close();
      await store.close();
    },
  };
}

/**
 * For one test file: an in-process service with these settings (see startInProcessService) and a
 * Rivery client of a fresh account on it, ready once the file's beforeAll has run; closed after it.
 */
export function useInProcessService(
  store: () => Store,
  env: Record<string, string>,
  apiEnv: Record<string, string> = {},
) {
  const use = {} as { service: Awaited<ReturnType<typeof startInProcessService>>; rivery: RiveryClient };
  beforeAll(async () => {
    use.service = await startInProcessService(env, apiEnv);
    use.rivery = new RiveryClient(use.service.url, (await newAccount(store())).token);
  });
  afterAll(async () => use.service?.close());
  return use;
}
