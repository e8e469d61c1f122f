import { ApplicationFailure } from '@temporalio/activity';
import * as oauth from 'oauth4webapi';
import { checkConnectionConfig, type ConnectionConfig } from '../lib/providers/connectionConfig.js';
import { fillTemplate } from '../lib/providers/urlTemplates.js';
import { chooseOAuthApp, notConfiguredMessage, type ChosenOAuthApp } from '../lib/providers/oauthAppCredentials.js';
import { secretHash } from '../lib/crypto/secretHash.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity } from './providerForActivity.js';
import { newRequestState } from '../lib/store/requestState.js';
import type { ConnectionDoc } from '../lib/store/documents.js';
import { findIntegration } from '../lib/store/integrations.js';
import type { AuthorizationRequestOptions, IssuedAuthorization } from '../workflows/connectionMessages.js';
import { flowsStarted } from '../lib/metrics/flowMetrics.js';

/** Parameters of the authorization request that the catalog's extra parameters may not replace. */
const OWN_PARAMS = new Set(['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge']);

export interface CreateAuthorizationRequestInput extends AuthorizationRequestOptions {
  connectionId: string;
  accountId: string;
  provider: string;
}

/**
 * Step 1 (authorize): stores the request under the id the API minted, with a random `state` (stored
 * only as its hash) and a PKCE S256 verifier (stored encrypted), and builds the provider's
 * authorization URL, its templates filled from the connection_config (a reauthorization reuses the
 * connection's own); a provider that refuses PKCE is sent no challenge. A retry replaces what an
 * earlier attempt stored: that attempt's auth_uri was never handed out.
 */
export async function createAuthorizationRequest(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
): Promise<IssuedAuthorization> {
  const existing = await ctx.store.connections.findOne({ _id: input.connectionId });
  const connectionConfig = await connectionConfigFor(ctx, input, existing);
  // A reauthorization keeps the connection's end user and integration.
  const ownerId = input.ownerId !== undefined ? input.ownerId : (existing?.ownerId ?? null);
  const integrationId = input.integrationId !== undefined ? input.integrationId : (existing?.integrationId ?? null);
  const ownerProfile = input.ownerProfile ?? existing?.ownerProfile;
  const oauthApp = await oauthAppFor(ctx, input, integrationId);
  const { entry, as, client } = await providerForActivity(ctx, input.provider, connectionConfig, oauthApp.ref);
  const id = input.authorizationRequestId;
  const state = newRequestState(id);
  // A code the client obtained itself is redeemed with the client's own verifier (if it used PKCE).
  const codeVerifier = input.clientGrant?.codeVerifier ?? oauth.generateRandomCodeVerifier();
  const scopes = input.scopes ?? oauthApp.scopes ?? entry.defaultScopes;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + input.validitySeconds * 1000);

  await ctx.store.oauthRequests.replaceOne(
    { _id: id },
    {
      stateHash: secretHash(state),
      accountId: input.accountId,
      connectionId: input.connectionId,
      provider: input.provider,
      status: 'pending',
      codeVerifier: ctx.keyRing.encrypt(Buffer.from(codeVerifier), id),
      redirectUrl: input.redirectUrl,
      connectionName: input.connectionName,
      scopes,
      connectionConfig,
      oauthApp: oauthApp.ref,
      ownerId,
      ...(ownerProfile ? { ownerProfile } : {}),
      integrationId,
      errorRedirectUrl: input.errorRedirectUrl ?? null,
      ...(input.clientGrant
        ? { clientGrant: { redirectUri: input.clientGrant.redirectUri, pkce: input.clientGrant.codeVerifier !== null } }
        : {}),
      expiresAt,
      error: null,
      createdAt: now,
      updatedAt: now,
    },
    { upsert: true },
  );
  await pauseForTest(ctx, 'authorize:after-insert', input.connectionId);

  const authUri = new URL(as.authorization_endpoint!);
  authUri.searchParams.set('client_id', client.client_id);
  authUri.searchParams.set('redirect_uri', ctx.redirectUri);
  authUri.searchParams.set('response_type', 'code');
  if (scopes.length > 0) authUri.searchParams.set('scope', scopes.join(entry.scopeSeparator));
  authUri.searchParams.set('state', state);
  if (entry.pkce !== 'refused') {
    authUri.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    authUri.searchParams.set('code_challenge_method', 'S256');
  }
  for (const [key, value] of Object.entries(entry.authorizationParams)) {
    if (!OWN_PARAMS.has(key)) authUri.searchParams.set(key, fillTemplate(value, connectionConfig));
  }

  flowsStarted.inc({ provider: input.provider });
  return { authUri: authUri.href, expiresAt: expiresAt.toISOString() };
}

/**
 * The OAuth app this authorization (and the connection it makes) uses from now on: chosen here, once
 * (the integration's own, the account's, the service's).
 */
async function oauthAppFor(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
  integrationId: string | null,
): Promise<ChosenOAuthApp> {
  const entry = ctx.catalog.get(input.provider);
  if (!entry) throw ApplicationFailure.nonRetryable(`unknown provider "${input.provider}"`, 'unknown_provider');
  const integration = integrationId ? await findIntegration(ctx.store, input.accountId, integrationId) : null;
  const chosen = await chooseOAuthApp(ctx.store, ctx.config, input.accountId, entry, integration);
  if (!chosen)
    throw ApplicationFailure.nonRetryable(notConfiguredMessage(entry, integrationId), 'provider_not_configured');
  return chosen;
}

/** The flow's own connection_config, else (a reauthorization) the connection's; checked against the entry. */
async function connectionConfigFor(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
  existing: ConnectionDoc | null,
): Promise<ConnectionConfig> {
  const entry = ctx.catalog.get(input.provider);
  const given = input.connectionConfig ?? existing?.connectionConfig ?? {};
  if (!entry) return given;
  try {
    return checkConnectionConfig(entry, given);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'invalid_connection_config');
  }
}
