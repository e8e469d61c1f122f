import type { Client } from '@temporalio/client';
import type { RefreshTiming, WebhookRetry } from '../lib/config.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { ProviderEntry } from '../lib/providers/catalog.js';
import type { Store } from '../lib/store/openStore.js';

/** What every activity may use: built once by the worker and passed in (no globals). */
export interface ActivityContext {
  store: Store;
  keyRing: KeyRing;
  catalog: Map<string, ProviderEntry>;
  env: NodeJS.ProcessEnv;
  redirectUri: string;
  /** for the refresh-audit, which starts workflows */
  temporal: Client;
  timing: RefreshTiming;
  taskQueue: string;
  /** how webhook deliveries of the events these activities record are retried */
  webhookRetry: WebhookRetry;
  /** the refresh-audit prunes events and deliveries older than this */
  eventRetentionDays: number;
  /** test-only: see pauseForTest.ts */
  pauseDir?: string;
}
