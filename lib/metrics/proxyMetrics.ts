import { Counter } from 'prom-client';
import { metricsRegistry } from './registry.js';

export const proxyCalls = new Counter({
  name: 'connectflow_proxy_calls_total',
  help: "Proxied provider calls, by the status class of the answer (the provider's, or the proxy's own 4xx/5xx)",
  labelNames: ['status_class'] as const,
  registers: [metricsRegistry],
});

/** `2xx`, `4xx`, ...: a bounded label for an HTTP status. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
