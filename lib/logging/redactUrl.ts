const SECRET_PARAMS = new Set([
  'code',
  'state',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'pull_id',
  'token',
]);

/** A connect page's address: its id lets whoever holds it continue to the provider. */
const CONNECT_PAGE_PATH = /^\/connect\/[^/?]+/;

/** A URL fit for logs: the connect page id and values of secret-bearing query parameters replaced by `[redacted]`. */
export function redactUrl(fullUrl: string): string {
  const url = fullUrl.replace(CONNECT_PAGE_PATH, '/connect/[redacted]');
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) if (SECRET_PARAMS.has(key.toLowerCase())) params.set(key, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
