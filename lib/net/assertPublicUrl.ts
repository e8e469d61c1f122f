import {
  BlockedAddressError,
  hostIsLoopback,
  resolveAllowedAddresses,
  systemResolveAll,
  type AddressPolicy,
  type ResolveAll,
} from './publicAddress.js';

/** A URL an outbound call may not go to; `reason` names why (for the API's error code). */
export class UrlNotAllowedError extends Error {
  constructor(
    readonly reason: 'scheme' | 'address' | 'unresolvable',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Refuses a destination URL unless it is `https` (or `http` to this machine when loopback is allowed)
 * and every address its host resolves to is public (loopback too when allowed). A check at the time
 * it is made: the connection itself must use checkedLookup so a name cannot change its answer between.
 */
export async function assertPublicUrl(
  url: URL,
  policy: AddressPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<void> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopbackHttp = url.protocol === 'http:' && policy.allowLoopback && hostIsLoopback(host);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new UrlNotAllowedError(
      'scheme',
      policy.allowLoopback ? 'the URL must be https (or http to a loopback address)' : 'the URL must be https',
    );
  }
  let addresses: string[];
  try {
    addresses = await resolveAllowedAddresses(host, policy, resolveAll);
  } catch (err) {
    if (err instanceof BlockedAddressError) throw new UrlNotAllowedError('address', err.message);
    throw new UrlNotAllowedError('unresolvable', `${host} does not resolve`);
  }
  if (addresses.length === 0) throw new UrlNotAllowedError('unresolvable', `${host} has no address`);
}
