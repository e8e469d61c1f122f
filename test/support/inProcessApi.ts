import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../../api/ApiContext.js';
import { buildApp } from '../../api/buildApp.js';
import { loadConfig } from '../../lib/config.js';
import { loadCatalog } from '../../lib/providers/catalog.js';
import { openStore, type Store } from '../../lib/store/openStore.js';
import { connectTestTemporal, keyRing, stack } from './testStack.js';

/**
 * A second API, in this test's process, on the same Temporal and MongoDB server as the stack (like
 * one more API replica) but with its own settings, e.g. its own rate limiter or its own database.
 * `context` replaces parts of what the API is built with (e.g. the proxy's host resolver, or the
 * store: one on a MongoDB that is away), and is closed with it.
 */
export async function startInProcessApi(
  env: Record<string, string> = {},
  context: Partial<Pick<ApiContext, 'resolveHost' | 'store'>> = {},
): Promise<{ app: FastifyInstance; store: Store; url: string; close(): Promise<void> }> {
  const appEnv = { ...stack.appEnv, LOG_LEVEL: 'silent', ...env };
  const config = loadConfig(appEnv);
  const store = context.store ?? (await openStore(config));
  const temporal = await connectTestTemporal();
  const { catalog, problems } = await loadCatalog(config, config.CONNECTFLOW_CATALOG_DIR);
  // A test's own catalog entries must load: a malformed one is a mistake in the test.
  if (problems.length > 0) throw new Error(`catalog problems: ${JSON.stringify(problems)}`);
  const app = await buildApp({ config, store, temporal, catalog, keyRing, ...context });
  // The stack's own port unless this API is given one (e.g. to receive its own callbacks).
  const url = await app.listen({ host: '127.0.0.1', port: env.PORT ? config.PORT : 0 });
  return {
    app,
    store,
    url,
    close: async () => {
      await app.close();
      await temporal.connection.close();
      await store.close();
    },
  };
}
