import * as oauth from 'oauth4webapi';
import { assertPublicHost, HostNotAllowedError } from './assertPublicHost.js';
import type { ConnectionConfig } from './connectionConfig.js';
import { usesDiscovery, type ProviderEntry } from './providerEntry.js';
import { fillTemplate, hasTemplatedHost, isLoopbackHostname } from './urlTemplates.js';

export { HostNotAllowedError } from './assertPublicHost.js';

/** Where a provider's endpoints may be: https, or plain http on loopback outside production (demo, tests). */
export interface EndpointPolicy {
  allowLoopbackHttp: boolean;
}

export class DiscoveryError extends Error {}

const discovered = new Map<string, Promise<oauth.AuthorizationServer>>();
const discoveryFailures = new Map<string, string>();
const discoveredNow = new Map<string, oauth.AuthorizationServer>();

/** The last discovery failure per issuer, until a discovery succeeds: listed by GET /api/connection_types. */
export function discoveryProblem(issuer: string): string | undefined {
  return discoveryFailures.get(issuer);
}

/** The metadata a discovery in this process found, if one did. */
export function discoveredMetadata(issuer: string): oauth.AuthorizationServer | undefined {
  return discoveredNow.get(issuer);
}

/** oauth4webapi request options for a provider's server: allows http only for a loopback provider. */
export function requestOptions(
  as: oauth.AuthorizationServer,
  timeoutMs = 15_000,
): { [oauth.allowInsecureRequests]?: boolean; signal: AbortSignal } {
  const insecure = [as.issuer, as.token_endpoint].some((url) => url?.startsWith('http:'));
  return {
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  };
}

/** Provider calls inside an activity end well before the activity's own timeout (half of it, at most 15 s). */
export function providerTimeoutMs(activityTimeoutSeconds: number | undefined): number {
  return Math.min(15_000, ((activityTimeoutSeconds ?? 60) * 1000) / 2);
}

/**
 * The provider's authorization server for one connection: its templates filled from the
 * connection_config, endpoints from discovery (cached per process) or the catalog. Every URL must be
 * https (loopback http aside, see EndpointPolicy); when a caller's value fills a host, each host must
 * resolve to public addresses only (HostNotAllowedError), discovered endpoints included.
 */
export async function resolveAuthorizationServer(
  entry: ProviderEntry,
  connectionConfig: ConnectionConfig,
  policy: EndpointPolicy,
): Promise<oauth.AuthorizationServer> {
  const fill = (template: string | undefined) =>
    template === undefined ? undefined : fillTemplate(template, connectionConfig);
  const templatedHost = [entry.issuer, entry.authorizationEndpoint, entry.tokenEndpoint, entry.revocationEndpoint].some(
    (url) => url !== undefined && hasTemplatedHost(url),
  );
  const check = async (url: string | undefined) => {
    if (url === undefined) return;
    const parsed = new URL(url);
    const loopbackHttp = parsed.protocol === 'http:' && policy.allowLoopbackHttp && isLoopbackHostname(parsed.hostname);
    if (parsed.protocol !== 'https:' && !loopbackHttp) throw new HostNotAllowedError(`${parsed.origin} is not https`);
    if (templatedHost) await assertPublicHost(parsed.hostname, { allowLoopback: policy.allowLoopbackHttp });
  };

  const issuer = fill(entry.issuer);
  const given = {
    authorization_endpoint: fill(entry.authorizationEndpoint),
    token_endpoint: fill(entry.tokenEndpoint),
    revocation_endpoint: fill(entry.revocationEndpoint),
  };
  let as: oauth.AuthorizationServer;
  if (usesDiscovery(entry)) {
    await check(issuer);
    const metadata = await discover(issuer!);
    as = { ...metadata, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  } else {
    as = { issuer: issuer ?? new URL(given.authorization_endpoint!).origin, ...given };
  }
  for (const url of [as.authorization_endpoint, as.token_endpoint, as.revocation_endpoint]) await check(url);
  return as;
}

/** OIDC discovery, then RFC 8414 metadata; one request at a time per issuer, a success kept for the process. */
function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  let pending = discovered.get(issuer);
  if (!pending) {
    const url = new URL(issuer);
    const options = url.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
    const attempt = (algorithm: 'oidc' | 'oauth2') =>
      oauth
        .discoveryRequest(url, { algorithm, ...options, signal: AbortSignal.timeout(10_000) })
        .then((response) => oauth.processDiscoveryResponse(url, response));
    pending = attempt('oidc')
      .catch((first: unknown) => attempt('oauth2').catch(() => Promise.reject(first)))
      .then(
        (as) => {
          discoveryFailures.delete(issuer);
          discoveredNow.set(issuer, as);
          return as;
        },
        (err: unknown) => {
          discovered.delete(issuer);
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          const why = [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
          const message = `discovery at ${issuer} failed: ${why}`;
          discoveryFailures.set(issuer, message);
          throw new DiscoveryError(message);
        },
      );
    discovered.set(issuer, pending);
  }
  return pending;
}

/** Discovers every provider with a fixed issuer in the background, so the catalog can list failures. */
export function warmDiscovery(entries: readonly ProviderEntry[]): void {
  for (const entry of entries) {
    if (usesDiscovery(entry) && !hasTemplatedHost(entry.issuer!) && !entry.issuer!.includes('{')) {
      discover(entry.issuer!).catch(() => undefined);
    }
  }
}
