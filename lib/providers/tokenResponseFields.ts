import type { TokenEndpointResponse } from 'oauth4webapi';
import type { ConnectionConfig } from './connectionConfig.js';
import type { ProviderEntry } from './providerEntry.js';
import { fillTemplate } from './urlTemplates.js';

/**
 * A provider whose tokens sit under one key of its token response (e.g. Slack's `authed_user`): the
 * fields there are lifted to the top, over the outer ones, before the response is read.
 */
export async function unwrapTokenResponse(response: Response, path: string | undefined): Promise<Response> {
  if (!path || response.status < 200 || response.status >= 300) return response;
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    return response;
  }
  const inner = (body as Record<string, unknown> | null)?.[path];
  if (typeof inner !== 'object' || inner === null) return response;
  const lifted = { ...(body as Record<string, unknown>), ...(inner as Record<string, unknown>) };
  return new Response(JSON.stringify(lifted), { status: response.status, headers: response.headers });
}

/**
 * What the provider said that the catalog keeps: declared token-response fields (the API-base field
 * among them) and callback parameters.
 */
export function providerDataOf(
  entry: Pick<ProviderEntry, 'providerDataFields' | 'callbackParams' | 'apiBaseUriFrom'>,
  tokens: TokenEndpointResponse,
  callbackParams: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const fields = [...entry.providerDataFields, ...(entry.apiBaseUriFrom ? [entry.apiBaseUriFrom] : [])];
  for (const field of fields) if (tokens[field] !== undefined) data[field] = tokens[field];
  for (const param of entry.callbackParams)
    if (callbackParams[param] !== undefined) data[param] = callbackParams[param];
  return data;
}

/**
 * The connection's API base: the provider's own field (e.g. Salesforce instance_url) when the catalog
 * names one and it holds an http(s) URL, else the catalog's template filled from the connection_config.
 */
export function apiBaseUriOf(
  entry: Pick<ProviderEntry, 'apiBaseUri' | 'apiBaseUriFrom'>,
  connectionConfig: ConnectionConfig,
  providerData: Readonly<Record<string, unknown>>,
): string | null {
  const given = entry.apiBaseUriFrom ? providerData[entry.apiBaseUriFrom] : undefined;
  if (typeof given === 'string' && /^https?:\/\/[^/?#\s]+/i.test(given)) return given;
  return entry.apiBaseUri ? fillTemplate(entry.apiBaseUri, connectionConfig) : null;
}
