import { stat } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { CatalogFile } from './catalogFileSchema.js';
import { loadCatalogFiles, parseCatalogJson, type CatalogLoadResult, type CatalogProblem } from './loadCatalogFiles.js';
import { providerEntryFromFile, type ProviderEntry } from './providerEntry.js';

export type { ProviderEntry } from './providerEntry.js';

/** The providers the service serves, by id and by alias; read-only once loaded. */
export class ProviderCatalog {
  private readonly byName = new Map<string, ProviderEntry>();
  /** sorted by id */
  readonly entries: readonly ProviderEntry[];

  constructor(entries: ProviderEntry[]) {
    this.entries = [...entries].sort((a, b) => a.id.localeCompare(b.id));
    for (const entry of this.entries) this.byName.set(entry.id, entry);
    // An alias never shadows a real id.
    for (const entry of this.entries)
      for (const alias of entry.aliases) if (!this.byName.has(alias)) this.byName.set(alias, entry);
  }

  /** The entry of an id or alias. */
  get(name: string): ProviderEntry | undefined {
    return this.byName.get(name);
  }
}

/** The `demo` provider: the local oidc-provider that `npm start` and the tests run, found by discovery. */
function demoEntry(issuer: string): CatalogFile {
  return {
    id: 'demo',
    name: 'Demo provider',
    categories: ['developer-tools'],
    docs_url: 'https://github.com/panva/node-oidc-provider',
    issuer,
    default_scopes: ['read'],
    token_endpoint_auth_method: 'client_secret_basic',
    api_base_uri: issuer,
  };
}

/** CONNECTFLOW_EXTRA_PROVIDERS: a JSON array of entries, or a directory of `<id>.yaml` files. */
async function loadExtraProviders(value: string, allowLoopbackHttp: boolean): Promise<CatalogLoadResult> {
  const options = { allowLoopbackHttp };
  if (value.trimStart().startsWith('[')) return parseCatalogJson(value, options);
  const isDirectory = await stat(value).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) {
    return {
      entries: [],
      problems: [{ id: '(CONNECTFLOW_EXTRA_PROVIDERS)', problem: 'neither a JSON array nor a directory' }],
    };
  }
  return loadCatalogFiles(value, options);
}

/**
 * The catalog: every `<id>.yaml` in `dir`, the `demo` provider when CONNECTFLOW_PROVIDER_DEMO_ISSUER
 * is set, and CONNECTFLOW_EXTRA_PROVIDERS. A malformed entry is left out and returned as a problem
 * (reported by the caller with its id); the others load. Later sources replace earlier ones by id.
 * Plain http is admitted only for the demo and extra entries, on loopback, outside production.
 */
export async function loadCatalog(
  config: Pick<Config, 'NODE_ENV' | 'CONNECTFLOW_PROVIDER_DEMO_ISSUER' | 'CONNECTFLOW_EXTRA_PROVIDERS'>,
  dir: string,
): Promise<{ catalog: ProviderCatalog; problems: CatalogProblem[] }> {
  const allowLoopbackHttp = config.NODE_ENV !== 'production';
  const bundled = await loadCatalogFiles(dir);
  const files: CatalogFile[] = [...bundled.entries];
  const problems = [...bundled.problems];
  if (config.CONNECTFLOW_PROVIDER_DEMO_ISSUER) {
    const demo = parseCatalogJson(JSON.stringify([demoEntry(config.CONNECTFLOW_PROVIDER_DEMO_ISSUER)]), {
      allowLoopbackHttp,
    });
    files.push(...demo.entries);
    problems.push(...demo.problems);
  }
  if (config.CONNECTFLOW_EXTRA_PROVIDERS) {
    const extra = await loadExtraProviders(config.CONNECTFLOW_EXTRA_PROVIDERS, allowLoopbackHttp);
    files.push(...extra.entries);
    problems.push(...extra.problems);
  }
  const byId = new Map(files.map((file) => [file.id, providerEntryFromFile(file)]));
  return { catalog: new ProviderCatalog([...byId.values()]), problems };
}
