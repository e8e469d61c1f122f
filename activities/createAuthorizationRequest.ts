import * as oauth from 'oauth4webapi';
import { randomSecret, secretHash } from '../lib/crypto/secretHash.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity } from './providerForActivity.js';
import { newRequestState } from '../lib/store/requestState.js';

export interface CreateAuthorizationRequestInput {
  connectionId: string;
  accountId: string;
  provider: string;
  validitySeconds: number;
  scopes: string[] | null;
  redirectUrl: string | null;
  connectionName: string | null;
}

export interface IssuedAuthorization {
  requestId: string;
  pullId: string;
  authUri: string;
  expiresAt: string;
}

/**
 * Step 1 (authorize): a random `state` and `pull_id` (stored only as hashes), a PKCE S256 verifier
 * (stored encrypted), and the provider's authorization URL.
 */
export async function createAuthorizationRequest(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
): Promise<IssuedAuthorization> {
  const { entry, as, client } = await providerForActivity(ctx, input.provider);
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
    provider: input.provider,
    status: 'pending',
    codeVerifier: ctx.keyRing.encrypt(Buffer.from(codeVerifier), requestId),
    redirectUrl: input.redirectUrl,
    connectionName: input.connectionName,
    scopes,
    expiresAt,
    error: null,
    createdAt: now,
    updatedAt: now,
  });
  await pauseForTest(ctx, 'authorize:after-insert', input.connectionId);

  const authUri = new URL(as.authorization_endpoint!);
  for (const [key, value] of Object.entries(entry.extraAuthorizationParams)) authUri.searchParams.set(key, value);
  authUri.searchParams.set('client_id', client.client_id);
  authUri.searchParams.set('redirect_uri', ctx.redirectUri);
  authUri.searchParams.set('response_type', 'code');
  authUri.searchParams.set('scope', scopes.join(entry.scopeSeparator));
  authUri.searchParams.set('state', state);
  authUri.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  authUri.searchParams.set('code_challenge_method', 'S256');

  return { requestId, pullId, authUri: authUri.href, expiresAt: expiresAt.toISOString() };
}
