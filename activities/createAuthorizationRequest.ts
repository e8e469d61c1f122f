import * as oauth from 'oauth4webapi';
import { secretHash } from '../lib/crypto/secretHash.js';
import type { ActivityContext } from './activityContext.js';
import { pauseForTest } from './pauseForTest.js';
import { providerForActivity } from './providerForActivity.js';
import { newRequestState } from '../lib/store/requestState.js';
import type { AuthorizationRequestOptions } from '../workflows/connectionMessages.js';

export interface CreateAuthorizationRequestInput extends AuthorizationRequestOptions {
  connectionId: string;
  accountId: string;
  provider: string;
}

/** What the workflow hands the API for a new authorization request (the API already holds its pull_id). */
export interface IssuedAuthorization {
  authUri: string;
  expiresAt: string;
}

/**
 * Step 1 (authorize): stores the request under the id the API minted, with a random `state` (stored
 * only as its hash) and a PKCE S256 verifier (stored encrypted), and builds the provider's
 * authorization URL. A retry replaces what an earlier attempt stored: that attempt's auth_uri was
 * never handed out.
 */
export async function createAuthorizationRequest(
  ctx: ActivityContext,
  input: CreateAuthorizationRequestInput,
): Promise<IssuedAuthorization> {
  const { entry, as, client } = await providerForActivity(ctx, input.provider);
  const id = input.authorizationRequestId;
  const state = newRequestState(id);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const scopes = input.scopes ?? entry.defaultScopes;
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
      expiresAt,
      error: null,
      createdAt: now,
      updatedAt: now,
    },
    { upsert: true },
  );
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

  return { authUri: authUri.href, expiresAt: expiresAt.toISOString() };
}
