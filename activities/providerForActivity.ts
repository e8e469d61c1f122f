import { ApplicationFailure } from '@temporalio/activity';
import * as oauth from 'oauth4webapi';
import type { ConnectionConfig } from '../lib/providers/connectionConfig.js';
import type { ProviderEntry } from '../lib/providers/catalog.js';
import { notConfiguredMessage, oauthAppCredentials } from '../lib/providers/oauthAppCredentials.js';
import type { OAuthAppRef } from '../lib/store/documents.js';
import {
  DiscoveryError,
  HostNotAllowedError,
  requestOptions,
  resolveAuthorizationServer,
} from '../lib/providers/resolveAuthorizationServer.js';
import { fillTemplate } from '../lib/providers/urlTemplates.js';
import type { ActivityContext } from './activityContext.js';

export interface ResolvedProvider {
  entry: ProviderEntry;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
  /** the connection's values for the entry's templates */
  connectionConfig: ConnectionConfig;
  /** options for a token endpoint call: timeout, loopback http, the entry's token params, its body format */
  tokenRequestOptions(timeoutMs: number): oauth.TokenEndpointRequestOptions;
}

/**
 * The catalog entry, server metadata (templates filled from the connection's config) and our client
 * credentials of the OAuth app chosen at authorization (absent: the service's), or a final failure.
 * A discovery that fails is retried by Temporal.
 */
export async function providerForActivity(
  ctx: ActivityContext,
  providerId: string,
  connectionConfig: ConnectionConfig,
  oauthApp?: OAuthAppRef,
): Promise<ResolvedProvider> {
  const entry = ctx.catalog.get(providerId);
  if (!entry) throw ApplicationFailure.nonRetryable(`unknown provider "${providerId}"`, 'unknown_provider');
  const credentials = await oauthAppCredentials(ctx.store, ctx.keyRing, ctx.config, entry, oauthApp);
  if (!credentials) throw ApplicationFailure.nonRetryable(notConfiguredMessage(entry), 'provider_not_configured');
  let as: oauth.AuthorizationServer;
  try {
    as = await resolveAuthorizationServer(entry, connectionConfig, {
      allowLoopbackHttp: ctx.config.NODE_ENV !== 'production',
    });
  } catch (err) {
    if (err instanceof HostNotAllowedError) throw ApplicationFailure.nonRetryable(err.message, 'host_not_allowed');
    if (err instanceof DiscoveryError) throw ApplicationFailure.retryable(err.message, 'discovery_failed');
    throw err;
  }
  const clientAuth =
    entry.tokenEndpointAuthMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(credentials.clientSecret)
      : oauth.ClientSecretBasic(credentials.clientSecret);
  const tokenParams = Object.fromEntries(
    Object.entries(entry.tokenParams).map(([key, value]) => [key, fillTemplate(value, connectionConfig)]),
  );
  return {
    entry,
    as,
    client: { client_id: credentials.clientId },
    clientAuth,
    connectionConfig,
    tokenRequestOptions: (timeoutMs) => ({
      ...requestOptions(as, timeoutMs),
      additionalParameters: tokenParams,
      ...(entry.tokenRequestFormat === 'json' ? { [oauth.customFetch]: postJson } : {}),
    }),
  };
}

/** A token request sent as a JSON object instead of a form (the same fields; client auth headers kept). */
async function postJson(url: string, options: oauth.CustomFetchOptions<'POST', URLSearchParams>): Promise<Response> {
  const headers = new Headers(options.headers);
  headers.set('content-type', 'application/json');
  return fetch(url, {
    ...options,
    headers,
    body: JSON.stringify(Object.fromEntries(new URLSearchParams(options.body))),
  });
}
