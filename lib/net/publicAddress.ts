import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/**
 * Which addresses an outbound call to a third party may reach: public unicast only. Loopback,
 * private, link-local, cloud metadata and every special-purpose range (IANA registries) are refused,
 * and so are IPv6 forms that embed one of them (IPv4-mapped, NAT64, 6to4).
 */
export type AddressKind =
  'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

interface Range {
  family: 4 | 6;
  base: bigint;
  bits: number;
  kind: Exclude<AddressKind, 'public' | 'invalid'>;
}

/** Instance-metadata services that sit on otherwise public or private addresses (checked first, for the message). */
const METADATA = [
  '169.254.169.254/32', // AWS, GCP, Azure, OpenStack, ...
  '169.254.170.2/32', // AWS ECS task metadata
  '100.100.100.200/32', // Alibaba Cloud
  '168.63.129.16/32', // Azure wire server (a public address)
  'fd00:ec2::254/128', // AWS over IPv6
];
const SPECIAL: Array<[string, Range['kind']]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // and 255.255.255.255
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::/48', 'private'], // local-use NAT64
  ['100::/64', 'reserved'], // discard-only
  ['2001::/23', 'reserved'], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::/32', 'reserved'],
  ['fc00::/7', 'private'], // unique local
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
];

/** IPv6 prefixes that carry an IPv4 address: the embedded one is judged instead. */
const EMBEDDING: Array<{ prefix: string; extract: (v: bigint) => bigint }> = [
  { prefix: '::ffff:0:0/96', extract: (v) => v & 0xffff_ffffn }, // IPv4-mapped
  { prefix: '64:ff9b::/96', extract: (v) => v & 0xffff_ffffn }, // NAT64
  { prefix: '2002::/16', extract: (v) => (v >> 80n) & 0xffff_ffffn }, // 6to4
];

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseV6(text: string): bigint | undefined {
  let rest = text.replace(/%.*$/, ''); // zone id
  const groups: number[] = [];
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  let v4Tail: bigint | undefined;
  if (tail) {
    v4Tail = parseV4(tail[1]!);
    if (v4Tail === undefined) return undefined;
    rest = rest.slice(0, -tail[1]!.length) + '0:0';
  }
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = toGroups(halves[0]!);
  const back = halves.length === 2 ? toGroups(halves[1]!) : [];
  const missing = 8 - head.length - back.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  for (const g of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...back]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
  if (v4Tail !== undefined) value = (value & ~0xffff_ffffn) | v4Tail;
  return value;
}

function parseCidr(cidr: string, kind: Range['kind']): Range {
  const [address, bits] = cidr.split('/') as [string, string];
  const family = address.includes(':') ? 6 : 4;
  const base = family === 4 ? parseV4(address) : parseV6(address);
  if (base === undefined) throw new Error(`bad range ${cidr}`);
  return { family, base, bits: Number(bits), kind };
}

const RANGES: Range[] = [
  ...METADATA.map((c) => parseCidr(c, 'metadata')),
  ...SPECIAL.map(([c, kind]) => parseCidr(c, kind)),
];
const EMBEDDINGS = EMBEDDING.map((e) => ({ range: parseCidr(e.prefix, 'reserved'), extract: e.extract }));

const inRange = (family: 4 | 6, value: bigint, range: Range) => {
  if (range.family !== family) return false;
  const width = family === 4 ? 32n : 128n;
  const shift = width - BigInt(range.bits);
  return value >> shift === range.base >> shift;
};

/** What kind of address an IP literal is (brackets and an IPv6 zone id allowed). */
export function addressKind(ip: string): AddressKind {
  const text = ip.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(text.replace(/%.*$/, ''));
  if (family === 0) return 'invalid';
  const value = family === 4 ? parseV4(text) : parseV6(text);
  if (value === undefined) return 'invalid';
  return kindOf(family as 4 | 6, value);
}

function kindOf(family: 4 | 6, value: bigint): AddressKind {
  if (family === 6) {
    for (const { range, extract } of EMBEDDINGS) if (inRange(6, value, range)) return kindOf(4, extract(value));
  }
  return RANGES.find((r) => inRange(family, value, r))?.kind ?? 'public';
}

export const isPublicAddress = (ip: string): boolean => addressKind(ip) === 'public';

/** `localhost` (and its subdomains) or a loopback IP literal: a host that names this machine. */
export function hostIsLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return addressKind(host) === 'loopback';
}

/** Which address kinds a destination may have: public always; loopback too for a local (demo) provider. */
export interface AddressPolicy {
  allowLoopback: boolean;
}

export function addressAllowed(ip: string, policy: AddressPolicy): boolean {
  const kind = addressKind(ip);
  return kind === 'public' || (kind === 'loopback' && policy.allowLoopback);
}

/** A destination refused by the address policy; `kind` says which range it fell in. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly kind: AddressKind,
  ) {
    super(`${hostname} resolves to ${address}, a ${kind.replace('_', '-')} address`);
  }
}

/** The resolver behind checkedLookup: `dns.lookup` with every address (tests pass a fixed table). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

/**
 * The addresses a host names (an IP literal names itself), each within the policy: a check at the time
 * it is made (a connection must still use checkedLookup). Throws BlockedAddressError, or the resolver's error.
 */
export async function resolveAllowedAddresses(
  hostname: string,
  policy: AddressPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): Promise<string[]> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = addressKind(host) === 'invalid' ? (await resolveAll(host)).map((a) => a.address) : [host];
  const refused = addresses.find((address) => !addressAllowed(address, policy));
  if (refused) throw new BlockedAddressError(host, refused, addressKind(refused));
  return addresses;
}

/**
 * A `lookup` for net/tls connect (and so for an undici Agent's `connect.lookup`): resolves the name,
 * refuses it when any of its addresses is outside the policy, and hands the socket exactly the
 * addresses it checked. The check and the connection use one DNS answer, so a name cannot resolve
 * to a public address for the check and a private one for the connect.
 */
export function checkedLookup(policy: AddressPolicy, resolveAll: ResolveAll = systemResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname).then(
      (found) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = found.filter((a) => family === undefined || a.family === family);
        const refused = addresses.find((a) => !addressAllowed(a.address, policy));
        if (refused)
          return callback(new BlockedAddressError(hostname, refused.address, addressKind(refused.address)), '');
        const first = addresses[0];
        if (!first) {
          const err = Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
          return callback(err, '');
        }
        if (options.all) return callback(null, addresses);
        return callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
