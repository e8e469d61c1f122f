import type { Client } from '@temporalio/client';
import type { Config, RefreshTiming } from '../lib/config.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { ProviderCatalog } from '../lib/providers/catalog.js';
import type { Store } from '../lib/store/openStore.js';

/** What every activity may use: built once by the worker and passed in (no globals). */
export interface ActivityContext {
  store: Store;
  keyRing: KeyRing;
  catalog: ProviderCatalog;
  /** the service's settings (OAuth apps, NODE_ENV for loopback providers) */
  config: Config;
  redirectUri: string;
  /** for the refresh-audit, which starts workflows */
  temporal: Client;
  timing: RefreshTiming;
  taskQueue: string;
  /** test-only: see pauseForTest.ts */
  pauseDir?: string;
}
