import * as oauth from 'oauth4webapi';
import type { ProviderEntry } from './catalog.js';

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();

/** Plain-http issuers are only accepted on loopback (the local demo provider). */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/** oauth4webapi request options for a provider: allows http only for a loopback provider. */
export function requestOptions(
  provider: ProviderEntry,
  timeoutMs = 15_000,
): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
  const url = provider.issuer ?? provider.tokenEndpoint ?? '';
  return {
    ...(isLoopbackHttp(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  };
}

/** Provider calls inside an activity end well before the activity's own timeout (half of it, at most 15 s). */
export function providerTimeoutMs(activityTimeoutSeconds: number | undefined): number {
  return Math.min(15_000, ((activityTimeoutSeconds ?? 60) * 1000) / 2);
}

/** The provider's authorization server metadata: from discovery (cached per process) or the catalog. */
export async function resolveAuthorizationServer(provider: ProviderEntry): Promise<oauth.AuthorizationServer> {
  if (!provider.issuer) {
    return {
      issuer: new URL(provider.authorizationEndpoint!).origin,
      authorization_endpoint: provider.authorizationEndpoint,
      token_endpoint: provider.tokenEndpoint,
      revocation_endpoint: provider.revocationEndpoint,
    };
  }
  const issuer = provider.issuer;
  let pending = discovered.get(issuer);
  if (!pending) {
    const url = new URL(issuer);
    pending = oauth
      .discoveryRequest(url, { algorithm: 'oidc', ...requestOptions(provider) })
      .then((response) => oauth.processDiscoveryResponse(url, response));
    pending.catch(() => discovered.delete(issuer));
    discovered.set(issuer, pending);
  }
  return pending;
}
