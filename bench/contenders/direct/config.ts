import { z } from 'zod';

/** The direct contender's process gets its settings as one JSON variable. */
export const DirectConfig = z.object({
  port: z.number().int(),
  mongoUri: z.string(),
  database: z.string(),
  apiToken: z.string(),
  issuer: z.url(),
  clientId: z.string(),
  clientSecret: z.string(),
  redirectUri: z.url(),
  encryptionKeys: z.string(),
});
export type DirectConfig = z.infer<typeof DirectConfig>;

export const DIRECT_CONFIG_ENV = 'BENCH_DIRECT_CONFIG';

export function readDirectConfig(): DirectConfig {
  return DirectConfig.parse(JSON.parse(process.env[DIRECT_CONFIG_ENV] ?? '{}'));
}
