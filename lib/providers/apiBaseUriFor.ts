import type { ConnectionDoc } from '../store/documents.js';
import type { ProviderEntry } from './catalog.js';
import { fillTemplate } from './urlTemplates.js';

/**
 * The base URL of a connection's API, the one place that decides it: the token-response field the
 * entry names (e.g. Salesforce's `instance_url`, kept in providerData), else the entry's own
 * `apiBaseUri`, else what was stored with the connection. Undefined when none is a usable http(s)
 * URL without credentials, query or fragment. A templated `apiBaseUri` is filled from the
 * connection's `connection_config` (unfilled, it is skipped). An integration's own `api_base_uri`
 * (`override`) comes before all of them.
 */
export function apiBaseUriFor(
  connection: Pick<ConnectionDoc, 'providerData' | 'apiBaseUri' | 'connectionConfig'>,
  provider: Pick<ProviderEntry, 'apiBaseUri' | 'apiBaseUriFrom'> | undefined,
  override?: string | null,
): URL | undefined {
  const fromProviderData = provider?.apiBaseUriFrom ? connection.providerData[provider.apiBaseUriFrom] : undefined;
  const candidates = [
    override,
    fromProviderData,
    filled(provider?.apiBaseUri, connection.connectionConfig),
    connection.apiBaseUri,
  ];
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

function filled(template: string | undefined, values: Record<string, string> | undefined): string | undefined {
  if (template === undefined) return undefined;
  try {
    return fillTemplate(template, values ?? {});
  } catch {
    return undefined;
  }
}
