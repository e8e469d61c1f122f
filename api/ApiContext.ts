import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import type { KeyRing } from '../lib/crypto/keyRing.js';
import type { ProviderCatalog } from '../lib/providers/catalog.js';
import type { ResolveAll } from '../lib/net/publicAddress.js';
import type { Store } from '../lib/store/openStore.js';

/** What the API's plugins share, passed as plugin options. */
export interface ApiContext {
  config: Config;
  store: Store;
  temporal: Client;
  catalog: ProviderCatalog;
  keyRing: KeyRing;
  /** How the proxy resolves provider host names before checking their addresses (default: the system's DNS). */
  resolveHost?: ResolveAll;
}
