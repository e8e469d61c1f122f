import * as oauth from 'oauth4webapi';
import { providerEnvPrefix } from '../../lib/config.js';
import { authorizeByRedirects } from './authorizeByRedirects.js';
import { stack } from './testStack.js';

const insecure = { [oauth.allowInsecureRequests]: true };

/** One of the test stack's demo providers as a client of its own sees it: its server and the service's client. */
async function providerClient(providerId: string) {
  const extra = JSON.parse(stack.appEnv.CONNECTFLOW_EXTRA_PROVIDERS ?? '[]') as Array<{ id: string; issuer: string }>;
  const issuer = providerId === 'demo' ? stack.providerIssuer : extra.find((e) => e.id === providerId)?.issuer;
  if (!issuer) throw new Error(`no demo provider ${providerId} in the test stack`);
  const prefix = providerEnvPrefix(providerId);
  const as = await oauth.processDiscoveryResponse(
    new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), insecure),
  );
  const client: oauth.Client = { client_id: stack.appEnv[`${prefix}_CLIENT_ID`]! };
  return { as, client, clientAuth: oauth.ClientSecretBasic(stack.appEnv[`${prefix}_CLIENT_SECRET`]!) };
}

/**
 * Tokens obtained at a demo provider outside connectflow, as an application holding the same OAuth
 * app would get them: an authorization code with PKCE (the end user consents by redirects), redeemed
 * by the application itself.
 */
export async function tokensFromProvider(providerId: string): Promise<oauth.TokenEndpointResponse> {
  const { as, client, clientAuth } = await providerClient(providerId);
  const redirectUri = `${stack.apiUrl}/oauth2/callback`;
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authUri = new URL(as.authorization_endpoint!);
  for (const [key, value] of Object.entries({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'read',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  })) {
    authUri.searchParams.set(key, value);
  }
  // The redirect is caught before it reaches connectflow: the code is the application's own.
  const redirect = await authorizeByRedirects(authUri.href, redirectUri);
  const params = oauth.validateAuthResponse(as, client, redirect, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    redirectUri,
    verifier,
    insecure,
  );
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

/** Revokes a token at the demo provider (RFC 7009), as the application that holds it would. */
export async function revokeAtProvider(providerId: string, token: string): Promise<void> {
  const { as, client, clientAuth } = await providerClient(providerId);
  const response = await oauth.revocationRequest(as, client, clientAuth, token, insecure);
  await oauth.processRevocationResponse(response);
}
