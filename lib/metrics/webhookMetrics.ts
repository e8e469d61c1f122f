import { Counter } from 'prom-client';
import { metricsRegistry } from './registry.js';

/** One delivery attempt answered 2xx, answered otherwise (retried), or a message failed for good. */
export type WebhookOutcome = 'delivered' | 'not_accepted' | 'failed';

export const webhookOutcomes = new Counter({
  name: 'connectflow_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome (delivered, not_accepted: retried), and messages failed for good (failed)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});
