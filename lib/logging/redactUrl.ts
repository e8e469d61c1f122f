const SECRET_PARAMS = new Set([
  'code',
  'state',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'pull_id',
  'token',
  // Not a secret, but a customer's tenant names have no business in access logs either.
  'connection_config',
]);

/** A proxied path carries the provider's own query parameters, whose secret ones cannot be named here. */
const PROXY_PATH = /^\/api\/connections\/[^/?]*\/proxy(?:\/|$)/;

/**
 * A URL fit for logs: values of secret-bearing query parameters replaced by `[redacted]`, and every
 * query value of a proxied path.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  const all = PROXY_PATH.test(url.slice(0, q));
  for (const key of [...params.keys()]) if (all || SECRET_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
