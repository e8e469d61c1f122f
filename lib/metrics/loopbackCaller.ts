import { isIP } from 'node:net';

/** Headers a proxy adds: a request carrying one came through a proxy, whatever its peer address. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Whether a request comes from this host itself: its TCP peer is a loopback address and it carries no
 * forwarding header. Decided on the socket, not on the trust-proxy client address, so neither a
 * forged X-Forwarded-For nor a proxy on this host passes for a local caller.
 */
export function isLoopbackCaller(
  peerAddress: string | undefined,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  if (FORWARDING_HEADERS.some((name) => headers[name] !== undefined)) return false;
  return peerAddress !== undefined && isLoopbackAddress(peerAddress);
}

export function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  // (the URL parser writes any spelling of an IPv6 address in its shortest form)
  return isIP(address) === 6 && new URL(`http://[${address}]/`).hostname === '[::1]';
}
