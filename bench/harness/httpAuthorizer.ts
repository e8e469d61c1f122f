/**
 * What an end user's browser does with an `auth_uri` at the demo provider (oidc-provider's dev
 * interactions), without a browser: fetch with a small cookie jar, redirects followed by hand, the
 * login form (`login`, `password`) and the consent form (hidden `prompt=consent`) submitted, until
 * the provider redirects to the callback. The callback itself is left to the caller, which times it.
 */

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  /** true: the Domain attribute was given, so subdomains match too */
  domainMatch: boolean;
  path: string;
  expiresAt: number | undefined;
}

/** RFC 6265 in the small: host-only or domain cookies, path matching, expiry and deletion. Ports are ignored, as browsers do. */
export class CookieJar {
  private readonly cookies: StoredCookie[] = [];

  store(url: URL, setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        domainMatch: false,
        path: defaultPath(url.pathname),
        expiresAt: undefined,
      };
      let maxAge: number | undefined;
      for (const attribute of attributes) {
        const [rawKey, ...rest] = attribute.split('=');
        const key = rawKey?.trim().toLowerCase();
        const value = rest.join('=').trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        else if (key === 'domain' && value) {
          cookie.host = value.replace(/^\./, '').toLowerCase();
          cookie.domainMatch = true;
        } else if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
        else if (key === 'expires') {
          const at = Date.parse(value);
          if (Number.isFinite(at)) cookie.expiresAt = at;
        }
      }
      if (maxAge !== undefined) cookie.expiresAt = Date.now() + maxAge * 1000; // Max-Age wins over Expires
      const existing = this.cookies.findIndex(
        (c) => c.name === cookie.name && c.host === cookie.host && c.path === cookie.path,
      );
      if (existing >= 0) this.cookies.splice(existing, 1);
      if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) this.cookies.push(cookie);
    }
  }

  /** The Cookie header for a request to `url` (longer paths first), or undefined. */
  header(url: URL): string | undefined {
    const now = Date.now();
    const host = url.hostname.toLowerCase();
    const matching = this.cookies
      .filter(
        (c) =>
          (c.expiresAt === undefined || c.expiresAt > now) && hostMatches(c, host) && pathMatches(c.path, url.pathname),
      )
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function defaultPath(requestPath: string): string {
  const slash = requestPath.lastIndexOf('/');
  return slash <= 0 ? '/' : requestPath.slice(0, slash);
}

function hostMatches(cookie: StoredCookie, host: string): boolean {
  return host === cookie.host || (cookie.domainMatch && host.endsWith(`.${cookie.host}`));
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

interface HtmlForm {
  action: string;
  method: string;
  inputs: Array<{ name: string; type: string; value: string }>;
}

const decodeEntities = (s: string) =>
  s.replace(
    /&(amp|quot|#39|#x27|lt|gt);/g,
    (_m, e: string) => ({ amp: '&', quot: '"', '#39': "'", '#x27': "'", lt: '<', gt: '>' })[e]!,
  );

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g)) {
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

export function parseForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(m[1] ?? '');
    const inputs = [...(m[2] ?? '').matchAll(/<input\b([^>]*)>/gi)].map((i) => {
      const a = attributes(i[1] ?? '');
      return { name: a.name ?? '', type: (a.type ?? 'text').toLowerCase(), value: a.value ?? '' };
    });
    forms.push({
      action: attrs.action ?? '',
      method: (attrs.method ?? 'get').toUpperCase(),
      inputs: inputs.filter((i) => i.name),
    });
  }
  return forms;
}

export interface AuthorizeOptions {
  /** true for the redirect target that ends the walk (the contender's callback) */
  isCallback: (url: URL) => boolean;
  login?: string;
  password?: string;
  maxSteps?: number;
}

export interface AuthorizeResult {
  callbackUrl: URL;
  /** HTTP requests made at the provider */
  requests: number;
}

/** Signs in and consents at the provider; resolves with the callback URL the provider redirected to. */
export async function authorizeOverHttp(authUri: string, options: AuthorizeOptions): Promise<AuthorizeResult> {
  const jar = new CookieJar();
  let url = new URL(authUri);
  let method = 'GET';
  let body: string | undefined;
  let requests = 0;
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    if (method === 'GET' && options.isCallback(url)) return { callbackUrl: url, requests };
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    requests++;
    jar.store(url, res.headers.getSetCookie());
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url);
      if (res.status !== 307 && res.status !== 308) {
        method = 'GET';
        body = undefined;
      }
      continue;
    }
    const html = await res.text();
    if (res.status !== 200)
      throw new Error(`provider answered HTTP ${res.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const forms = parseForms(html);
    const loginForm = forms.find((f) => f.inputs.some((i) => i.name === 'login'));
    const consentForm = forms.find((f) => f.inputs.some((i) => i.name === 'prompt' && i.value === 'consent'));
    const form = loginForm ?? consentForm;
    if (!form) throw new Error(`no login or consent form at ${url.pathname}: ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const input of form.inputs) {
      if (input.name === 'login') fields.set('login', options.login ?? 'bench-user');
      else if (input.name === 'password') fields.set('password', options.password ?? 'any password');
      else if (input.type === 'hidden' || input.value) fields.set(input.name, input.value);
    }
    url = new URL(form.action || url.href, url);
    method = form.method === 'POST' ? 'POST' : 'GET';
    if (method === 'GET') {
      for (const [k, v] of fields) url.searchParams.set(k, v);
      body = undefined;
    } else body = fields.toString();
  }
  throw new Error(`no redirect to the callback after ${options.maxSteps ?? 20} steps (last at ${url.href})`);
}
