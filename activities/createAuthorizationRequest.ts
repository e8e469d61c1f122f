import * as oauth from 'oauth4webapi';
import { fillTemplate } from '../lib/providers/urlTemplates.js';
import { randomSecret, secretHash } from '../lib/crypto/secretHash.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity } from './providerForActivity.js';
import { newRequestState } from '../lib/store/requestState.js';
import { checkConnectionConfig, type ConnectionConfig } from '../lib/providers/connectionConfig.js';
import { ApplicationFailure } from '@temporalio/activity';

/** Parameters of the authorization request that the catalog's extra parameters may not replace. */
const OWN_PARAMS = new Set(['client_id', 'redirect_uri', 'response_type', 'state', 'code_challenge']);

export interface CreateAuthorizationRequestInput {
  connectionId: string;
  accountId: string;
  provider: string;
  validitySeconds: number;
  scopes: string[] | null;
  redirectUrl: string | null;
  connectionName: string | null;
  connectionConfig?: ConnectionConfig | null;
}

export interface IssuedAuthorization {
  requestId: string;
  pullId: string;
  authUri: string;
  expiresAt: string;
}

/**
 * Step 1 (authorize): a random `state` and `pull_id` (stored only as hashes), a PKCE S256 verifier
 * (stored encrypted; no challenge is sent to a provider that refuses PKCE), and the provider's
 * authorization URL with its templates filled from the connection_config (a reauthorization reuses
 * the connection's own).
 */
export async function createAuthorizationRequest(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
): Promise<IssuedAuthorization> {
  const connectionConfig = await connectionConfigFor(ctx, input);
  const { entry, as, client } = await providerForActivity(ctx, input.provider, connectionConfig);
  const pullId = randomSecret(32);
  const requestId = secretHash(pullId);
  const state = newRequestState(requestId);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const scopes = input.scopes ?? entry.defaultScopes;
  const now = new Date();
  const expiresAt = new Date(now.getTime() + input.validitySeconds * 1000);

  await ctx.store.oauthRequests.insertOne({
    _id: requestId,
    stateHash: secretHash(state),
    accountId: input.accountId,
    connectionId: input.connectionId,
    datasourceId: input.provider,
    status: 'pending',
    codeVerifier: ctx.keyRing.encrypt(Buffer.from(codeVerifier), requestId),
    redirectUrl: input.redirectUrl,
    connectionName: input.connectionName,
    scopes,
    connectionConfig,
    expiresAt,
    error: null,
    createdAt: now,
    updatedAt: now,
  });
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

  return { requestId, pullId, authUri: authUri.href, expiresAt: expiresAt.toISOString() };
}

/** The flow's own connection_config, else (a reauthorization) the connection's; checked against the entry. */
async function connectionConfigFor(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
): Promise<ConnectionConfig> {
  const entry = ctx.catalog.get(input.provider);
  const given =
    input.connectionConfig ??
    (await ctx.store.connections.findOne({ _id: input.connectionId }))?.connectionConfig ??
    {};
  if (!entry) return given;
  try {
    return checkConnectionConfig(entry, given);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'invalid_connection_config');
  }
}
