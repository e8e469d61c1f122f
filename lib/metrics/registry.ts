import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * This process's metrics (the API's or the worker's): connectflow's own, registered by the modules
 * beside this one, and Node's (`process_*`, `nodejs_*`). One per process, as the process is what
 * Prometheus scrapes.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

/** The Prometheus text of these registries together. */
export async function metricsText(registries: readonly Registry[]): Promise<{ contentType: string; text: string }> {
  const merged = Registry.merge([...registries]);
  return { contentType: merged.contentType, text: await merged.metrics() };
}
