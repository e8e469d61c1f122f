import type { ConnectionDoc } from '../store/documents.js';
import type { ProviderEntry } from './catalog.js';

/**
 * The base URL of a connection's API, the one place that decides it: the token-response field the
 * entry names (e.g. Salesforce's `instance_url`, kept in providerData), else the entry's own
 * `apiBaseUri`, else what was stored with the connection. Undefined when none is a usable http(s)
 * URL without credentials, query or fragment. (Templated entries resolve their `connection_config` here.)
 */
export function apiBaseUriFor(
  connection: Pick<ConnectionDoc, 'providerData' | 'apiBaseUri'>,
  provider: Pick<ProviderEntry, 'apiBaseUri' | 'apiBaseUriFrom'> | undefined,
): URL | undefined {
  const fromProviderData = provider?.apiBaseUriFrom ? connection.providerData[provider.apiBaseUriFrom] : undefined;
  const candidates = [fromProviderData, provider?.apiBaseUri, connection.apiBaseUri];
  const first = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
  return first === undefined ? undefined : usableBase(first);
}

function usableBase(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  return url;
}
