/**
 * Where a proxied request goes: a relative path resolves under the connection's API base and may not
 * climb out of its path (`..`, percent-encoded or not); an absolute URL must be on the base's origin.
 * Pure: no I/O. The address the host resolves to is checked at connect time (lib/net/publicAddress.ts).
 */
export type TargetRefusal = {
  reason: 'path_escape' | 'other_origin' | 'malformed_url';
  message: string;
};

export type ResolvedTarget = { url: URL } | { refused: TargetRefusal };

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;
/** Control characters, space and backslash (which WHATWG URL parsing reads as `/` in http URLs). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const FORBIDDEN_CHARS = /[\u0000-\u0020\u007f\\]/;

/** `requested` is a path with its query (`sheets/1?x=y`, `/sheets/1`) or an absolute URL; a fragment is dropped. */
export function resolveTarget(base: URL, requested: string): ResolvedTarget {
  const withoutFragment = requested.split('#', 1)[0]!;
  if (FORBIDDEN_CHARS.test(withoutFragment)) {
    return refuse('malformed_url', 'the URL holds a space, a backslash or a control character; percent-encode it');
  }
  if (withoutFragment.startsWith('//')) {
    return refuse('malformed_url', 'a protocol-relative URL (//host/...) is not accepted: give a path or a full URL');
  }
  return ABSOLUTE.test(withoutFragment)
    ? resolveAbsolute(base, withoutFragment)
    : resolveRelative(base, withoutFragment);
}

function resolveRelative(base: URL, requested: string): ResolvedTarget {
  const queryAt = requested.indexOf('?');
  const rawPath = queryAt < 0 ? requested : requested.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : requested.slice(queryAt);
  if (climbs(rawPath)) return escape();
  const basePath = base.pathname.replace(/\/+$/, '');
  const rest = rawPath.replace(/^\/+/, '');
  const path = rest ? `${basePath}/${rest}` : basePath || '/';
  const url = parse(`${base.origin}${path}${rawQuery === '?' ? '' : rawQuery}`);
  if (!url) return refuse('malformed_url', 'the path does not form a valid URL under the API base');
  // Belt and braces: whatever the parser normalised, the result stays under the base path.
  const under = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if (url.origin !== base.origin || !under) return escape();
  return { url };
}

function resolveAbsolute(base: URL, requested: string): ResolvedTarget {
  const url = parse(requested);
  if (!url) return refuse('malformed_url', 'not a valid URL');
  if (url.username || url.password)
    return refuse('malformed_url', 'a URL with credentials (user@host) is not accepted');
  if (url.origin !== base.origin) {
    return refuse(
      'other_origin',
      `an absolute URL must be on the connection's API origin ${base.origin}, not ${url.protocol}//${url.host}`,
    );
  }
  // The path as written (before the parser resolved any dot segment) must not climb either.
  const afterAuthority = requested.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?]*/i, '');
  if (climbs(afterAuthority.split('?', 1)[0]!)) return escape();
  return { url };
}

/** True when a path has a `..` segment, however often percent-encoded (`%2e%2e`, `%252e%252e`, `..%2f`). */
export function climbs(rawPath: string): boolean {
  let text = rawPath;
  for (let round = 0; round < 4; round++) {
    if (text.split(/[/\\]/).some((segment) => segment === '..')) return true;
    const decoded = text.replace(/%([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (decoded === text) return false;
    text = decoded;
  }
  return true; // encoded more than four times over: no honest client does that
}

const escape = (): ResolvedTarget =>
  refuse('path_escape', "the path climbs out of the connection's API base (a `..` segment, encoded or not)");

const refuse = (reason: TargetRefusal['reason'], message: string): ResolvedTarget => ({ refused: { reason, message } });

function parse(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
