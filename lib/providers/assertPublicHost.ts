import { addressAllowed, addressKind, systemResolveAll } from '../net/publicAddress.js';

export class HostNotAllowedError extends Error {}

/**
 * Refuses a host that resolves (any of its addresses) outside public unicast (private, loopback,
 * link-local and cloud metadata, ... as lib/net/publicAddress.ts judges them). `allowLoopback`
 * (outside production) admits loopback addresses too: the demo and test providers.
 */
export async function assertPublicHost(hostname: string, policy: { allowLoopback: boolean }): Promise<void> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string }[];
  try {
    addresses = addressKind(bare) === 'invalid' ? await systemResolveAll(bare) : [{ address: bare }];
  } catch (err) {
    throw new HostNotAllowedError(`${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const refused = addresses.find((a) => !addressAllowed(a.address, policy));
  if (refused) {
    const kind = addressKind(refused.address).replace('_', '-');
    throw new HostNotAllowedError(`${hostname} resolves to ${refused.address}, a ${kind} address`);
  }
}
