import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { climbs, resolveTarget } from '../../lib/proxy/resolveTarget.js';

const base = new URL('https://api.example.com/v4');
const href = (requested: string, at = base) => {
  const resolved = resolveTarget(at, requested);
  return 'url' in resolved ? resolved.url.href : resolved.refused.reason;
};

describe('resolveTarget', () => {
  it('puts a path under the base path, leading slash or not, with its query and encoding as written', () => {
    expect(href('spreadsheets/abc')).toBe('https://api.example.com/v4/spreadsheets/abc');
    expect(href('/spreadsheets/abc?range=A1%3AB2&x=%2F')).toBe(
      'https://api.example.com/v4/spreadsheets/abc?range=A1%3AB2&x=%2F',
    );
    expect(href('')).toBe('https://api.example.com/v4');
    expect(href('?q=1')).toBe('https://api.example.com/v4?q=1');
    expect(href('/a%2Fb')).toBe('https://api.example.com/v4/a%2Fb');
    expect(href('x', new URL('https://api.example.com/'))).toBe('https://api.example.com/x');
    expect(href('x#frag')).toBe('https://api.example.com/v4/x');
  });

  it('refuses a path that climbs out, however it is encoded', () => {
    for (const path of [
      '..',
      '/../admin',
      'a/../../admin',
      '%2e%2e/admin',
      '%2E%2E/admin',
      '.%2e/admin',
      '%252e%252e/admin',
      '..%2fadmin',
      'a/..%2F..%2Fadmin',
      '%2e%2e',
    ]) {
      expect(href(path), path).toBe('path_escape');
    }
  });

  it('refuses backslashes, spaces, control characters and protocol-relative URLs', () => {
    for (const path of ['a\\..\\b', 'a b', 'a\u0000', '//evil.com/x', 'a\r\nHost: evil']) {
      expect(href(path), JSON.stringify(path)).toBe('malformed_url');
    }
  });

  it('takes an absolute URL only on the base origin, without credentials or climbing', () => {
    expect(href('https://api.example.com/other/path?x=1')).toBe('https://api.example.com/other/path?x=1');
    expect(href('https://evil.com/v4/x')).toBe('other_origin');
    expect(href('http://api.example.com/v4/x')).toBe('other_origin');
    expect(href('https://api.example.com:8443/v4/x')).toBe('other_origin');
    expect(href('https://api.example.com.evil.com/v4')).toBe('other_origin');
    expect(href('https://api.example.com@evil.com/v4')).toBe('malformed_url'); // credentials, and another host
    expect(href('https://user:pw@api.example.com/v4')).toBe('malformed_url');
    expect(href('https://api.example.com/v4/../admin')).toBe('path_escape');
    expect(href('file:///etc/passwd')).toBe('other_origin');
  });

  it('never leaves the base origin and path, whatever the path (property)', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '%2e', '%2e%2e', '%2E.', '..%2f', '%5c', '', '@', ':', '%00', '?', '#', '%3f'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.boolean(), (segments, leadingSlash) => {
        const requested = `${leadingSlash ? '/' : ''}${segments.join('/')}`;
        const resolved = resolveTarget(base, requested);
        if ('refused' in resolved) return;
        expect(resolved.url.origin).toBe(base.origin);
        expect(resolved.url.pathname === '/v4' || resolved.url.pathname.startsWith('/v4/')).toBe(true);
        expect(climbs(resolved.url.pathname)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});
