import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from './registry.js';

/**
 * How one refresh activity attempt ended: new tokens stored, the provider refused (needs_reauth), a
 * failure Temporal retries (5xx, unreachable), or not attempted (the provider's refresh-not-before).
 */
export type RefreshOutcome = 'refreshed' | 'needs_reauth' | 'retried' | 'not_due';

export const refreshes = new Counter({
  name: 'connectflow_refreshes_total',
  help: 'Refresh activity attempts, by provider and outcome (refreshed, needs_reauth, retried, not_due)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const refreshLag = new Histogram({
  name: 'connectflow_refresh_lag_seconds',
  help: "How late a planned refresh's first attempt started after the time the workflow planned it for, by provider",
  labelNames: ['provider'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
  registers: [metricsRegistry],
});

/** The lag of a planned refresh starting at `startedAtMs`; never negative (a timer fires at or after its time). */
export function refreshLagSeconds(plannedAtMs: number, startedAtMs: number): number {
  return Math.max(0, startedAtMs - plannedAtMs) / 1000;
}
