import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses a provider's host filled from a caller's value must not reach: private, loopback, link-local (cloud metadata), ... */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

export class HostNotAllowedError extends Error {}

/**
 * Refuses a host that resolves (any of its addresses) to an internal address. `allowLoopback` (outside
 * production) admits a host whose addresses are all loopback: the demo and test providers.
 */
export async function assertPublicHost(hostname: string, { allowLoopback }: { allowLoopback: boolean }): Promise<void> {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(bare) ? [{ address: bare, family: isIP(bare) }] : await lookup(bare, { all: true });
  } catch (err) {
    throw new HostNotAllowedError(`${hostname} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const type = (family: number) => (family === 6 ? 'ipv6' : 'ipv4');
  if (allowLoopback && addresses.every((a) => loopback.check(a.address, type(a.family)))) return;
  const blocked = addresses.find((a) => internal.check(a.address, type(a.family)));
  if (blocked) throw new HostNotAllowedError(`${hostname} resolves to an internal address (${blocked.address})`);
}
