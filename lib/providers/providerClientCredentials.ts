import type { Config, ProviderApp } from '../config.js';
import type { ProviderEntry } from './providerEntry.js';

/** The service's OAuth app for a provider: configured under its id, or under one of its aliases. */
export function providerClientCredentials(
  config: Pick<Config, 'providerApps'>,
  provider: Pick<ProviderEntry, 'id' | 'aliases'>,
): ProviderApp | undefined {
  for (const name of [provider.id, ...provider.aliases]) {
    const app = config.providerApps.get(name);
    if (app) return app;
  }
  return undefined;
}
