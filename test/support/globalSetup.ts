import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'vitest';
import type { TestProject } from 'vitest/node';
import type { Server } from 'node:http';
import { refreshTiming, loadConfig, type RefreshTiming } from '../../lib/config.js';
import { startStack, type Engine, type ExtraDemoProvider } from '../../scripts/dev/stack/startStack.js';
import { startProviderControlServer } from './providerControlServer.js';

export const TEST_KEYS = readFileSync(new URL('../fixtures/test-encryption-keys', import.meta.url), 'utf8').trim();

export interface TestStackInfo {
  apiUrl: string;
  mongoUri: string;
  temporalAddress: string;
  temporalNamespace: string;
  temporalUiUrl: string | null;
  providerIssuer: string;
  encryptionKeys: string;
  dataDir: string;
  providerControlUrl: string;
  timing: RefreshTiming;
  /** the stack's worker's GET /metrics, and the Temporal SDK's metrics of it */
  workerMetricsUrl: string;
  workerTemporalMetricsUrl: string;
  /** the CONNECTFLOW_* environment the API and worker run with (client secrets included: tests scan for them) */
  appEnv: Record<string, string>;
}

/**
 * Short timings so 5-second tokens are refreshed: 2 s margin, at most every 2 s, backoff 1 s doubling to
 * 4 s, a throttle that lets the suite's short tokens be (its own test sets its own), runs of 3 refreshes; webhook retries
 * from 0.5 s doubling to 2 s.
 */
const TEST_ENV = {
  NODE_ENV: 'test',
  CONNECTFLOW_ENCRYPTION_KEYS: TEST_KEYS,
  LOG_LEVEL: 'info',
  CONNECTFLOW_REFRESH_MARGIN_SECONDS: '2',
  CONNECTFLOW_REFRESH_JITTER_SECONDS: '0.5',
  CONNECTFLOW_REFRESH_RETRY_INITIAL_SECONDS: '1',
  CONNECTFLOW_REFRESH_RETRY_MAX_SECONDS: '4',
  CONNECTFLOW_REFRESH_COALESCE_SECONDS: '3',
  CONNECTFLOW_REFRESH_MIN_INTERVAL_SECONDS: '2',
  CONNECTFLOW_REFRESH_THROTTLE_LIMIT: '1000',
  CONNECTFLOW_REFRESHES_PER_RUN: '3',
  CONNECTFLOW_AUDIT_INTERVAL_SECONDS: '3600',
  // Every test's browser lands on the callback from 127.0.0.1; the abuse test runs its own limited API.
  CONNECTFLOW_CALLBACK_RATE_LIMIT: '100000',
  // A receiver that is down for a few seconds is tried again within two.
  CONNECTFLOW_WEBHOOK_RETRY_INITIAL_SECONDS: '0.5',
  CONNECTFLOW_WEBHOOK_RETRY_MAX_SECONDS: '2',
};

/** Demo providers behaving like the providers the lifecycle tests need, one per test file or concern. */
const PROFILES: ExtraDemoProvider[] = [
  { id: 'short_rotating', options: { accessTokenTtlSeconds: 5, rotateRefreshToken: true } },
  { id: 'short_fixed', options: { accessTokenTtlSeconds: 5, rotateRefreshToken: false } },
  {
    id: 'no_expiry',
    options: { omitExpiresIn: true, refreshTokenTtlSeconds: 20, rotateRefreshToken: true },
    catalog: { refresh: { refresh_token_lifetime_seconds: 20 } },
  },
  { id: 'says_zero', options: { accessTokenTtlSeconds: 3600, statedExpiresIn: 0 } },
  { id: 'says_abc', options: { accessTokenTtlSeconds: 3600, statedExpiresIn: 'abc' } },
  // Real lifetimes the refresh-storm test watches under the default timing (its own worker).
  { id: 'lives_120s', options: { accessTokenTtlSeconds: 120 } },
  { id: 'lives_20s', options: { accessTokenTtlSeconds: 20 } },
  { id: 'lives_10s', options: { accessTokenTtlSeconds: 10 } },
  { id: 'expired_tokens', options: { accessTokenTtlSeconds: 3600, statedExpiresIn: 0 } },
  { id: 'retimed', options: { accessTokenTtlSeconds: 3600, statedExpiresIn: 0 } },
  { id: 'faulty', options: { accessTokenTtlSeconds: 3600 } },
  { id: 'hangs', options: { accessTokenTtlSeconds: 3600 } },
  { id: 'backoff', options: { accessTokenTtlSeconds: 3600 } },
  { id: 'coalesce', options: { accessTokenTtlSeconds: 3600 } },
  // Events and webhooks: each event's real cause (faults included), and short tokens refreshed during an outage.
  { id: 'events', options: { accessTokenTtlSeconds: 3600 } },
  { id: 'webhook_short', options: { accessTokenTtlSeconds: 5, rotateRefreshToken: true } },
  // Tokens obtained outside connectflow and imported: long-lived, and 5-second ones kept fresh after import.
  { id: 'imports', options: { accessTokenTtlSeconds: 3600, rotateRefreshToken: true } },
  { id: 'imports_short', options: { accessTokenTtlSeconds: 5, rotateRefreshToken: true } },
];

declare module 'vitest' {
  export interface ProvidedContext {
    /** the project's engine (vitest.config.ts); files that start a stack of their own use it too */
    engine: Engine;
    stack: TestStackInfo;
  }
}

/**
 * Starts real servers on free ports with a throw-away data dir for the project's files, on the project's
 * engine; the returned teardown stops them and drops what they stored. Each project runs its own.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { engine } = project.getProvidedContext();
  const dataDir = mkdtempSync(join(tmpdir(), 'connectflow-test-'));
  const started = Date.now();
  const log = (line: string) => console.log(`[stack ${engine}] ${line}`);
  const stack = await startStack({
    dataDir,
    ports: 'free',
    logsToFiles: true,
    env: TEST_ENV,
    extraProviders: PROFILES,
    engine,
    dropDatabasesOnStop: !process.env.CONNECTFLOW_KEEP_TEST_DATA,
    log,
  }).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  let control: Server | undefined;
  const teardown = async () => {
    control?.close();
    await stack.stop();
    if (!process.env.CONNECTFLOW_KEEP_TEST_DATA) rmSync(dataDir, { recursive: true, force: true });
  };
  const controlServer = await startProviderControlServer(stack.providers).catch(async (err: unknown) => {
    await teardown();
    throw err;
  });
  control = controlServer.server;
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs in ${dataDir}/logs)`);
  project.provide('stack', {
    apiUrl: stack.apiUrl,
    mongoUri: stack.mongoUri,
    temporalAddress: stack.temporalAddress,
    temporalNamespace: stack.temporalNamespace,
    temporalUiUrl: stack.temporalUiUrl,
    providerIssuer: stack.provider.issuer,
    encryptionKeys: TEST_KEYS,
    dataDir,
    providerControlUrl: controlServer.url,
    timing: refreshTiming(loadConfig(stack.appEnv)),
    workerMetricsUrl: stack.workerMetricsUrl,
    workerTemporalMetricsUrl: stack.workerTemporalMetricsUrl,
    appEnv: Object.fromEntries(
      Object.entries(stack.appEnv).filter(
        (e): e is [string, string] =>
          /^(CONNECTFLOW_|PUBLIC_BASE_URL|TEMPORAL_|MONGODB_)/.test(e[0]) && typeof e[1] === 'string',
      ),
    ),
  });
  return teardown;
}
