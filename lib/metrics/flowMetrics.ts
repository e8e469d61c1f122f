import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from './registry.js';

/** How an authorization flow ended. */
export type FlowOutcome = 'connected' | 'failed' | 'expired';

/** Authorization requests issued (new connections and reauthorizations), counted by the worker's activity. */
export const flowsStarted = new Counter({
  name: 'connectflow_flows_started_total',
  help: 'Authorization requests issued (new connections and reauthorizations), by provider',
  labelNames: ['provider'] as const,
  registers: [metricsRegistry],
});

/** Authorization requests ended, counted by the worker's activity that records the end. */
export const flowsEnded = new Counter({
  name: 'connectflow_flows_ended_total',
  help: 'Authorization requests ended, by provider and outcome (connected, failed, expired)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [metricsRegistry],
});

/** GET /oauth2/callback, measured by the API. */
export const callbackDuration = new Histogram({
  name: 'connectflow_callback_duration_seconds',
  help: 'GET /oauth2/callback from request to answer, the code exchange included, by HTTP status',
  labelNames: ['status'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export function countFlowEnded(provider: string, outcome: FlowOutcome): void {
  flowsEnded.inc({ provider, outcome });
}
