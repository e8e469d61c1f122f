/**
 * Header hygiene of the proxy, both ways. Pure: header maps in, header maps out (names lower-cased).
 * The provider never sees the caller's credentials, cookies, Host, forwarding headers, hop-by-hop
 * headers or the proxy's own controls; the caller never sees hop-by-hop headers or cookies the
 * provider sets (they would land on connectflow's origin).
 */
export type HeaderMap = Record<string, string | string[] | undefined>;

/** RFC 9110 §7.6.1 connection-specific headers, plus the older ones still seen in the wild. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

const NOT_TO_PROVIDER = new Set([
  'authorization',
  'cookie',
  'host',
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  // `expect: 100-continue` is answered here, not there; the body's length is set by whoever frames it
  'expect',
  'content-length',
]);

const NOT_TO_CALLER = new Set(['set-cookie', 'set-cookie2', 'strict-transport-security', 'alt-svc']);

/** Headers the caller uses to steer the proxy (`x-connectflow-retries`), never forwarded. */
export const CONTROL_PREFIX = 'x-connectflow-';

/** Names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: HeaderMap): Set<string> {
  const value = headers.connection;
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter(Boolean),
  );
}

function pick(headers: HeaderMap, keep: (name: string) => boolean): Record<string, string | string[]> {
  const listed = connectionListed(headers);
  const out: Record<string, string | string[]> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || !keep(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ProviderAuth {
  /** lower-case header name, `authorization` by default */
  header: string;
  value: string;
}

/**
 * What goes to the provider: the caller's end-to-end headers minus credentials and forwarding, the
 * entry's fixed headers, then the connection's token (set last, so nothing the caller sends replaces it).
 */
export function headersToProvider(
  caller: HeaderMap,
  auth: ProviderAuth,
  fixed: Record<string, string> = {},
): Record<string, string | string[]> {
  const out = pick(
    caller,
    (name) => !NOT_TO_PROVIDER.has(name) && !name.startsWith('x-forwarded-') && !name.startsWith(CONTROL_PREFIX),
  );
  for (const [name, value] of Object.entries(fixed)) out[name.toLowerCase()] = value;
  out[auth.header.toLowerCase()] = auth.value;
  return out;
}

/** What goes back to the caller: the provider's end-to-end headers minus cookies and origin-wide policies. */
export function headersToCaller(provider: HeaderMap): Record<string, string | string[]> {
  return pick(provider, (name) => !NOT_TO_CALLER.has(name));
}

/** The provider's auth header for a token, as the catalog entry wants it (Bearer by default, "" = raw token). */
export function providerAuth(token: string, style: { authHeader?: string; authScheme?: string } = {}): ProviderAuth {
  const scheme = style.authScheme ?? 'Bearer';
  return { header: (style.authHeader ?? 'authorization').toLowerCase(), value: scheme ? `${scheme} ${token}` : token };
}
