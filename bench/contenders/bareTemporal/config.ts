import { z } from 'zod';

/** The bare-Temporal contender's processes get their settings as one JSON variable. */
export const BareConfig = z.object({
  port: z.number().int(),
  temporalAddress: z.string(),
  namespace: z.string(),
  taskQueue: z.string(),
  apiToken: z.string(),
  issuer: z.url(),
  clientId: z.string(),
  redirectUri: z.url(),
  /** the worker's workflow cache, connectflow's by default (so replays compare) */
  maxCachedWorkflows: z.number().int().min(0).optional(),
});
export type BareConfig = z.infer<typeof BareConfig>;

export const BARE_CONFIG_ENV = 'BENCH_BARE_CONFIG';

export function readBareConfig(): BareConfig {
  return BareConfig.parse(JSON.parse(process.env[BARE_CONFIG_ENV] ?? '{}'));
}
