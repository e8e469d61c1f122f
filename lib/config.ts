import { z } from 'zod';
import { DEFAULT_REFRESHES_PER_RUN } from '../workflows/runLength.js';

/** Every environment variable connectflow reads, parsed once. Unset values fall back to development defaults. */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('connectflow'),
  MONGODB_URI: z.string().min(1).default('mongodb://127.0.0.1:27017/?directConnection=true'),
  MONGODB_DATABASE: z.string().min(1).default('connectflow'),
  PUBLIC_BASE_URL: z.url().default('http://127.0.0.1:3000'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  CONNECTFLOW_ENCRYPTION_KEYS: z.string().min(1).optional(),
  CONNECTFLOW_DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Refresh this long before an access token expires (and before a refresh token with a known lifetime lapses). */
  CONNECTFLOW_REFRESH_MARGIN_SECONDS: z.coerce.number().min(0).max(86_400).default(300),
  /** ± random spread of planned refreshes, so tokens issued together are not refreshed together. */
  CONNECTFLOW_REFRESH_JITTER_SECONDS: z.coerce.number().min(0).max(3_600).default(30),
  /** Backoff of refreshes failing with 5xx or timeouts: first retry after this, doubling up to the cap. */
  CONNECTFLOW_REFRESH_RETRY_INITIAL_SECONDS: z.coerce.number().min(0.1).max(3_600).default(10),
  CONNECTFLOW_REFRESH_RETRY_MAX_SECONDS: z.coerce.number().min(0.1).max(86_400).default(3_600),
  /**
   * The least time between two planned refreshes of a connection, whatever lifetime the provider gives
   * its tokens; a stated lifetime below it (or 0, negative, not a number) is recorded as an event.
   */
  CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(86_400).default(30),
  /** A connection with this many planned refreshes within the window pauses them for the cool-down. */
  CONNECTFLOW_REFRESH_THROTTLE_LIMIT: z.coerce.number().int().min(1).max(10_000).default(10),
  CONNECTFLOW_REFRESH_THROTTLE_WINDOW_SECONDS: z.coerce.number().min(1).max(86_400).default(600),
  CONNECTFLOW_REFRESH_THROTTLE_COOLDOWN_SECONDS: z.coerce.number().min(1).max(86_400).default(600),
  /** An on-demand refresh within this long after the last one returns that one's result. */
  CONNECTFLOW_REFRESH_COALESCE_SECONDS: z.coerce.number().min(0).max(3_600).default(10),
  /**
   * A connection's workflow continues as a new run after this many refreshes (or sooner when Temporal
   * suggests it): fewer runs cost the server less, a shorter run is cheaper to replay.
   */
  CONNECTFLOW_REFRESHES_PER_RUN: z.coerce.number().int().min(1).max(500).default(DEFAULT_REFRESHES_PER_RUN),
  /**
   * How long an activity attempt (code exchange, refresh) may run before Temporal retries it elsewhere,
   * e.g. after its worker died. Provider HTTP calls time out well inside it.
   */
  CONNECTFLOW_ACTIVITY_TIMEOUT_SECONDS: z.coerce.number().int().min(2).max(600).default(60),
  /**
   * Workflows a worker keeps in memory between tasks. A connection's workflow sleeps until its next
   * refresh, so most are idle: one that is not cached is rebuilt from its (short) history when its timer
   * fires. Bounds worker memory whatever the number of connections.
   */
  CONNECTFLOW_WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(100),
  /** Test-only: activities pause at named steps while a file of that name exists in this directory. */
  CONNECTFLOW_TEST_PAUSE_DIR: z.string().optional(),
  /** How often the `refresh-audit` schedule looks for active connections whose workflow is missing. */
  CONNECTFLOW_AUDIT_INTERVAL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
  /** The Temporal Web UI's origin, allowed (CORS) to call the codec endpoint with the operator's session. */
  CONNECTFLOW_TEMPORAL_UI_ORIGIN: z.url().optional(),
  /** Callback requests allowed per client IP per minute. */
  CONNECTFLOW_CALLBACK_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(60),
  /**
   * Proxies in front of the API whose X-Forwarded-For is believed (per-IP callback limit, logs): a hop
   * count, or a comma list of IPs/CIDRs; unset = none, the peer's address is the client's.
   */
  CONNECTFLOW_TRUST_PROXY: z
    .string()
    .optional()
    .transform((v) => v?.trim() || undefined)
    .pipe(
      z.union([
        z.undefined().transform(() => false as const),
        z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(100)),
        z
          .string()
          .transform((list) => list.split(',').map((item) => item.trim()))
          .pipe(z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])).min(1)),
      ]),
    ),
  /**
   * Serve the API's GET /metrics on this port instead of its own (there to every caller: bind it with
   * CONNECTFLOW_METRICS_HOST where only the scraper reaches). Unset: on the API's port, for callers on
   * this host and operator tokens.
   */
  CONNECTFLOW_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The worker's GET /metrics (connectflow's own metrics) on this port; unset: none. */
  CONNECTFLOW_WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The Temporal SDK's own metrics of the worker (Prometheus, at /metrics) on this port; unset: none. */
  CONNECTFLOW_WORKER_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The interface the metrics ports above listen on (they have no access control of their own). */
  CONNECTFLOW_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Events are listed (GET /api/events) for this many days, then pruned by the refresh-audit. */
  CONNECTFLOW_EVENT_RETENTION_DAYS: z.coerce.number().min(0.001).max(3_650).default(30),
  /** Webhook deliveries failing (non-2xx, timeout) are retried after this, doubling up to the cap... */
  CONNECTFLOW_WEBHOOK_RETRY_INITIAL_SECONDS: z.coerce.number().min(0.1).max(3_600).default(5),
  CONNECTFLOW_WEBHOOK_RETRY_MAX_SECONDS: z.coerce.number().min(0.1).max(86_400).default(3_600),
  /** ...for this long after the first attempt, then marked failed (and the endpoint paused). */
  CONNECTFLOW_WEBHOOK_RETRY_WINDOW_SECONDS: z.coerce
    .number()
    .min(1)
    .max(7 * 86_400)
    .default(86_400),
  /** One delivery attempt: connect, send and the receiver's answer. */
  CONNECTFLOW_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(1).max(60).default(10),
  /** The largest request body the proxy forwards to a provider (a larger one is a 413, nothing sent). */
  CONNECTFLOW_PROXY_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .default(10 * 1024 * 1024),
  /** How long the proxy waits for a provider's response headers, and at most between two body chunks (then 504). */
  CONNECTFLOW_PROXY_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(600).default(30),
  /** The most a proxied call waits in all before retries (a 429's Retry-After, backoff); past it the answer is returned. */
  CONNECTFLOW_PROXY_MAX_RETRY_WAIT_SECONDS: z.coerce.number().min(0).max(300).default(10),
  /** The directory of the provider catalog, `<id>.yaml` files (relative to the working directory). */
  CONNECTFLOW_CATALOG_DIR: z.string().min(1).default('catalog'),
  /**
   * More catalog entries in the same format: a JSON array of them, or the path of a directory of
   * `<id>.yaml` files (e.g. any OIDC/RFC 8414 provider by issuer URL alone).
   */
  CONNECTFLOW_EXTRA_PROVIDERS: z.string().optional(),
  /** Adds the `demo` provider, found by discovery at this issuer (the local oidc-provider of `npm start`). */
  CONNECTFLOW_PROVIDER_DEMO_ISSUER: z.url().optional(),
});

/** The service's OAuth app at one provider. */
export interface ProviderApp {
  clientId: string;
  clientSecret: string;
}

export type Config = z.infer<typeof ConfigSchema> & {
  /** by provider id: CONNECTFLOW_PROVIDER_<ID>_CLIENT_ID and _CLIENT_SECRET (both set) */
  providerApps: ReadonlyMap<string, ProviderApp>;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return { ...parsed.data, providerApps: providerAppsOf(env) };
}

/** The environment prefix of a provider's OAuth app settings. */
export function providerEnvPrefix(providerId: string): string {
  return `CONNECTFLOW_PROVIDER_${providerId.toUpperCase()}`;
}

function providerAppsOf(env: NodeJS.ProcessEnv): Map<string, ProviderApp> {
  const apps = new Map<string, ProviderApp>();
  for (const [key, clientId] of Object.entries(env)) {
    const id = /^CONNECTFLOW_PROVIDER_([A-Z0-9_]+)_CLIENT_ID$/.exec(key)?.[1]?.toLowerCase();
    if (!id || !clientId) continue;
    const clientSecret = env[`${providerEnvPrefix(id)}_CLIENT_SECRET`];
    if (clientSecret) apps.set(id, { clientId, clientSecret });
  }
  return apps;
}

/** When and how a connection's workflow refreshes: carried in its input so the workflow stays pure. */
export interface RefreshTiming {
  marginSeconds: number;
  jitterSeconds: number;
  retryInitialSeconds: number;
  retryMaxSeconds: number;
  coalesceSeconds: number;
  minIntervalSeconds: number;
  throttle: { limit: number; windowSeconds: number; cooldownSeconds: number };
  /** start-to-close of one exchange or refresh attempt */
  activityTimeoutSeconds: number;
  /** refreshes one workflow run holds before it continues as new (absent in timing from older workers: one) */
  refreshesPerRun?: number;
}

export function refreshTiming(config: Config): RefreshTiming {
  return {
    marginSeconds: config.CONNECTFLOW_REFRESH_MARGIN_SECONDS,
    jitterSeconds: config.CONNECTFLOW_REFRESH_JITTER_SECONDS,
    retryInitialSeconds: config.CONNECTFLOW_REFRESH_RETRY_INITIAL_SECONDS,
    retryMaxSeconds: config.CONNECTFLOW_REFRESH_RETRY_MAX_SECONDS,
    coalesceSeconds: config.CONNECTFLOW_REFRESH_COALESCE_SECONDS,
    minIntervalSeconds: config.CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS,
    throttle: {
      limit: config.CONNECTFLOW_REFRESH_THROTTLE_LIMIT,
      windowSeconds: config.CONNECTFLOW_REFRESH_THROTTLE_WINDOW_SECONDS,
      cooldownSeconds: config.CONNECTFLOW_REFRESH_THROTTLE_COOLDOWN_SECONDS,
    },
    activityTimeoutSeconds: config.CONNECTFLOW_ACTIVITY_TIMEOUT_SECONDS,
    refreshesPerRun: config.CONNECTFLOW_REFRESHES_PER_RUN,
  };
}

/** How webhook deliveries are retried: carried in the delivery workflow's input so it stays pure. */
export interface WebhookRetry {
  initialSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
  attemptTimeoutSeconds: number;
}

export function webhookRetry(config: Config): WebhookRetry {
  return {
    initialSeconds: config.CONNECTFLOW_WEBHOOK_RETRY_INITIAL_SECONDS,
    maxSeconds: config.CONNECTFLOW_WEBHOOK_RETRY_MAX_SECONDS,
    windowSeconds: config.CONNECTFLOW_WEBHOOK_RETRY_WINDOW_SECONDS,
    attemptTimeoutSeconds: config.CONNECTFLOW_WEBHOOK_TIMEOUT_SECONDS,
  };
}

/** The redirect_uri registered at every provider: the public callback of this deployment. */
export function callbackUrl(config: Pick<Config, 'PUBLIC_BASE_URL'>): string {
  return new URL('/oauth2/callback', config.PUBLIC_BASE_URL).href;
}
