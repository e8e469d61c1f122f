import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  addressKind,
  BlockedAddressError,
  checkedLookup,
  hostIsLoopback,
  type ResolveAll,
} from '../../lib/net/publicAddress.js';

describe('addressKind', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['not-an-ip', 'invalid'],
    ['999.1.1.1', 'invalid'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it('judges the IPv4 address an IPv6 form embeds (mapped, NAT64, 6to4)', () => {
    expect(addressKind('::ffff:127.0.0.1')).toBe('loopback');
    expect(addressKind('::ffff:7f00:1')).toBe('loopback');
    expect(addressKind('::ffff:169.254.169.254')).toBe('metadata');
    expect(addressKind('64:ff9b::a00:1')).toBe('private');
    expect(addressKind('2002:a9fe:a9fe::1')).toBe('metadata');
    expect(addressKind('::ffff:8.8.8.8')).toBe('public');
  });
});

describe('hostIsLoopback', () => {
  it('knows localhost names and loopback literals, and nothing that merely looks like them', () => {
    for (const host of ['localhost', 'api.localhost', '127.0.0.1', '[::1]', 'LOCALHOST.'])
      expect(hostIsLoopback(host)).toBe(true);
    for (const host of ['localhost.evil.com', '10.0.0.1', 'example.com', '127.0.0.1.nip.io']) {
      expect(hostIsLoopback(host)).toBe(false);
    }
  });
});

describe('checkedLookup', () => {
  const table: Record<string, LookupAddress[]> = {
    'api.example.com': [{ address: '93.184.216.34', family: 4 }],
    'dual.example.com': [
      { address: '2606:2800:220:1::1', family: 6 },
      { address: '93.184.216.34', family: 4 },
    ],
    'sneaky.example.com': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ],
    'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
    'home.example.com': [{ address: '127.0.0.1', family: 4 }],
  };
  const resolveAll: ResolveAll = async (host) => {
    const found = table[host];
    if (!found) throw Object.assign(new Error(`no ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  const look = (host: string, options: { all?: boolean; family?: number }, allowLoopback = false) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      checkedLookup({ allowLoopback }, resolveAll)(host, options, (err, address, family) =>
        resolve({ err, address, family }),
      ),
    );

  it('hands the socket exactly the addresses it checked, one or all', async () => {
    expect(await look('api.example.com', {})).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect((await look('dual.example.com', { all: true })).address).toEqual(table['dual.example.com']);
    expect((await look('dual.example.com', { family: 4 })).address).toBe('93.184.216.34');
  });

  it('refuses a name when any of its addresses is not public, saying which', async () => {
    for (const [host, kind] of [
      ['sneaky.example.com', 'private'],
      ['metadata.example.com', 'metadata'],
      ['home.example.com', 'loopback'],
    ] as const) {
      const { err } = await look(host, { all: true });
      expect(err).toBeInstanceOf(BlockedAddressError);
      expect((err as BlockedAddressError).kind).toBe(kind);
    }
  });

  it('lets loopback through only when the policy allows it, and never metadata', async () => {
    expect((await look('home.example.com', {}, true)).address).toBe('127.0.0.1');
    expect((await look('metadata.example.com', {}, true)).err).toBeInstanceOf(BlockedAddressError);
  });

  it('passes resolver errors on', async () => {
    expect((await look('nowhere.example.com', {})).err?.code).toBe('ENOTFOUND');
  });
});
