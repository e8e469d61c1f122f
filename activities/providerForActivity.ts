import { ApplicationFailure } from '@temporalio/activity';
import * as oauth from 'oauth4webapi';
import type { ProviderEntry } from '../lib/providers/catalog.js';
import { providerClientCredentials, providerEnvPrefix } from '../lib/providers/providerClientCredentials.js';
import { resolveAuthorizationServer } from '../lib/providers/resolveAuthorizationServer.js';
import type { ActivityContext } from './activityContext.js';

export interface ResolvedProvider {
  entry: ProviderEntry;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  clientAuth: oauth.ClientAuth;
}

/** The catalog entry, server metadata and our client credentials for a provider, or a final failure. */
export async function providerForActivity(ctx: ActivityContext, provider: string): Promise<ResolvedProvider> {
  const entry = ctx.catalog.get(provider);
  if (!entry) throw ApplicationFailure.nonRetryable(`unknown provider "${provider}"`, 'unknown_provider');
  const credentials = providerClientCredentials(provider, ctx.env);
  if (!credentials) {
    throw ApplicationFailure.nonRetryable(
      `provider "${provider}" has no client credentials (${providerEnvPrefix(provider)}_CLIENT_ID/_CLIENT_SECRET)`,
      'provider_not_configured',
    );
  }
  const as = await resolveAuthorizationServer(entry);
  const clientAuth =
    entry.tokenEndpointAuthMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(credentials.clientSecret)
      : oauth.ClientSecretBasic(credentials.clientSecret);
  return { entry, as, client: { client_id: credentials.clientId }, clientAuth };
}
