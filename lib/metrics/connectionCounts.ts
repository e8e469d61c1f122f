import { Gauge, Registry } from 'prom-client';
import { CONNECTION_STATUSES, type ConnectionStatus } from '../store/documents.js';
import type { Store } from '../store/openStore.js';
import { refreshedAtMost } from './refreshedAtMost.js';

/** The store is counted at most this often, however often Prometheus scrapes. */
export const CONNECTION_COUNT_INTERVAL_MS = 60_000;

/**
 * A registry with `connectflow_connections{status}`: the stored connections by status, counted
 * lazily on scrape, at most once per interval (the last count is answered in between, and while the
 * store is away).
 */
export function connectionCountsRegistry(store: Store, intervalMs = CONNECTION_COUNT_INTERVAL_MS): Registry {
  const registry = new Registry();
  const counts = refreshedAtMost(intervalMs, async () => {
    const entries = await Promise.all(
      CONNECTION_STATUSES.map(async (status) => [status, await store.connections.countDocuments({ status })] as const),
    );
    return new Map<ConnectionStatus, number>(entries);
  });
  new Gauge({
    name: 'connectflow_connections',
    help: 'Stored connections by status, counted at most once a minute',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const latest = await counts();
      for (const [status, count] of latest ?? []) this.set({ status }, count);
    },
  });
  return registry;
}
