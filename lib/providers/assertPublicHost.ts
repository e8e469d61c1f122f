import { BlockedAddressError, resolveAllowedAddresses } from '../net/publicAddress.js';

export class HostNotAllowedError extends Error {}

/**
 * Refuses a host that resolves (any of its addresses) outside public unicast (private, loopback,
 * link-local and cloud metadata, ... as lib/net/publicAddress.ts judges them). `allowLoopback`
 * (outside production) admits loopback addresses too: the demo and test providers.
 */
export async function assertPublicHost(hostname: string, policy: { allowLoopback: boolean }): Promise<void> {
  try {
    await resolveAllowedAddresses(hostname, policy);
  } catch (err) {
    if (err instanceof BlockedAddressError) throw new HostNotAllowedError(err.message);
    throw new HostNotAllowedError(`${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
