// A real OAuth2 authorization server (oidc-provider v9) that plays "a third-party SaaS provider"
// for the dev start script, tests and bench.
//
// - Built-in dev interactions: login form (any username / any password) then consent.
//   Both pages have a "[ Cancel ]" link that ends the flow with error=access_denied at the redirect_uri.
// - Confidential clients (client_secret_basic or client_secret_post), PKCE S256 required,
//   scopes without `openid` (e.g. `read`) work; a refresh token is issued on every code grant.
// - Opaque tokens, in-memory storage, signing JWKS generated at start, plain http.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { DemoKoaContext } from 'oidc-provider';
import { quirkMiddleware } from './demoProviderQuirks.js';
import type ProviderClass from 'oidc-provider';

export interface DemoProviderOptions {
  port?: number; // 0 = free port (default 0)
  host?: string; // default 127.0.0.1
  clients: Array<{ clientId: string; clientSecret: string; redirectUris: string[] }>;
  accessTokenTtlSeconds?: number; // default 3600
  refreshTokenTtlSeconds?: number; // default 14 days
  rotateRefreshToken?: boolean; // default true
  omitExpiresIn?: boolean; // if true the token endpoint response has no expires_in (response rewritten), for tests
  /** the token endpoint states this `expires_in` instead of the real lifetime (nonsense such as 0 or "abc", for tests) */
  statedExpiresIn?: number | string;
  /** Non-OIDC scopes the provider accepts besides `openid` and `offline_access` (default ['read', 'write']). Unknown scopes are silently dropped by oidc-provider. */
  scopes?: string[];
  /** oidc-provider storage adapter; default its in-memory LRU, which keeps only about the 1,000 latest entries (the bench passes an unbounded one). */
  adapter?: unknown;
  /** Quirks of real providers, each enforced (the wrong behaviour fails the request), for the catalog conformance tests. */
  quirks?: DemoProviderQuirks;
}

export interface DemoProviderQuirks {
  /** the only client authentication the token and revocation endpoints accept (default: either) */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /** refuse PKCE: an authorization request with a code_challenge is answered 400 (default: PKCE required) */
  refusePkce?: boolean;
  /** the authorization request's scopes are separated by this (e.g. ','); a space in `scope` is refused */
  scopeSeparator?: string;
  /** token requests must be JSON bodies; a form body is answered 400 */
  jsonTokenRequests?: boolean;
  /** fields added to every successful token response (e.g. Salesforce's instance_url) */
  tokenResponseFields?: Record<string, unknown>;
  /** query parameters added to the redirect back to the client (e.g. QuickBooks realmId) */
  callbackParams?: Record<string, string>;
  /** authorization requests must carry these parameters (e.g. Google's access_type=offline) */
  authorizationParams?: Record<string, string>;
  /** token requests (both grants) must carry these parameters (e.g. Withings' action=requesttoken) */
  tokenParams?: Record<string, string>;
  /** successful token responses hold the tokens under this key only (e.g. Slack's authed_user) */
  nestTokensUnder?: string;
}

/** `hang`: read the request, then never answer (a provider that took the code and went silent). */
export type TokenEndpointFault =
  null | { status: 503 } | { error: 'invalid_grant' | 'invalid_client' } | { hang: true };

export interface DemoProvider {
  issuer: string; // e.g. http://127.0.0.1:PORT
  port: number;
  counts: { token: number; tokenByGrant: Record<string, number>; revocation: number };
  /** what the endpoints were sent, for the conformance tests */
  seen: {
    /** the `scope` parameter of each authorization request, as sent */
    authorizationScopes: string[];
    /** the client authentication of each token and revocation request */
    clientAuth: Array<'client_secret_basic' | 'client_secret_post' | 'none'>;
    /** the content type of each token request */
    tokenContentTypes: string[];
  };
  setTokenEndpointFault(fault: TokenEndpointFault): void;
  /** what the provider knows of a token: whether it is active, and the client it was issued to */
  introspect(token: string): Promise<{ active: boolean; clientId: string | null }>;
  /** false: stop listening (connections refused) but keep every grant and token; true: listen again on the same port */
  setReachable(reachable: boolean): Promise<void>;
  close(): Promise<void>;
  /** The oidc-provider instance, for the bench to mint grants and tokens through its models. */
  oidc: ProviderClass;
}

const TOKEN_PATH = '/token';
const REVOCATION_PATH = '/token/revocation';
const INTROSPECTION_PATH = '/token/introspection';

async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > 64 * 1024) break;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function createDemoProvider(opts: DemoProviderOptions): Promise<DemoProvider> {
  const host = opts.host ?? '127.0.0.1';
  const accessTokenTtl = opts.accessTokenTtlSeconds ?? 3600;
  const refreshTokenTtl = opts.refreshTokenTtlSeconds ?? 14 * 24 * 3600;
  const rotate = opts.rotateRefreshToken ?? true;
  const extraScopes = opts.scopes ?? ['read', 'write'];
  const quirks = opts.quirks ?? {};
  const firstClient = opts.clients[0];
  if (!firstClient) throw new Error('createDemoProvider: at least one client is required');

  // Listen first so the issuer can carry the real port (port 0 = pick a free one).
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingJwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

  const Provider = await quietly(async () => (await import('oidc-provider')).default);
  const provider: ProviderClass = await quietly(
    async () =>
      new Provider(issuer, {
        clients: opts.clients.map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          redirect_uris: c.redirectUris,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too (same secret family)
        })),
        jwks: { keys: [signingJwk] },
        cookies: {
          keys: [randomBytes(32).toString('base64url')],
          // Cookies are not port-scoped: keep names distinct from the app's and from other demo providers.
          names: {
            session: `_demo_op_${port}_session`,
            interaction: `_demo_op_${port}_interaction`,
            resume: `_demo_op_${port}_interaction_resume`,
          },
        },
        scopes: ['openid', 'offline_access', ...extraScopes],
        features: {
          devInteractions: { enabled: true },
          // Explicit policies (same effect as the defaults for confidential clients) silence oidc-provider's NOTICEs.
          introspection: { enabled: true, allowedPolicy: async () => true },
          revocation: {
            enabled: true,
            allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
              token.clientId === client.clientId,
          },
        },
        pkce: { required: () => !quirks.refusePkce }, // only S256 is supported by oidc-provider v9
        ...(opts.adapter ? { adapter: opts.adapter } : {}),
        findAccount: async (_ctx: unknown, sub: string) => ({
          accountId: sub,
          claims: async () => ({ sub }),
        }),
        // A refresh token on every authorization_code grant, with or without offline_access.
        issueRefreshToken: async () => true,
        // Tokens outlive the browser session at the provider (the data platform keeps using them).
        expiresWithSession: async () => false,
        rotateRefreshToken: rotate,
        ttl: {
          AccessToken: accessTokenTtl,
          AuthorizationCode: 60,
          IdToken: 3600,
          RefreshToken: refreshTokenTtl,
          Interaction: 3600,
          Session: 14 * 24 * 3600,
          Grant: Math.max(refreshTokenTtl * 4, 365 * 24 * 3600),
        },
      }),
  );

  const counts: DemoProvider['counts'] = { token: 0, tokenByGrant: {}, revocation: 0 };
  const seen: DemoProvider['seen'] = { authorizationScopes: [], clientAuth: [], tokenContentTypes: [] };
  if (Object.keys(quirks).length > 0) provider.use(quirkMiddleware(quirks, seen, readSmallBody));
  let fault: TokenEndpointFault = null;

  const countToken = (grantType: unknown): void => {
    const key = typeof grantType === 'string' && grantType ? grantType : 'unknown';
    counts.token += 1;
    counts.tokenByGrant[key] = (counts.tokenByGrant[key] ?? 0) + 1;
  };

  provider.use(async (ctx: DemoKoaContext, next) => {
    if (ctx.method === 'POST' && ctx.path === REVOCATION_PATH) {
      counts.revocation += 1;
      return next();
    }
    if (ctx.method !== 'POST' || ctx.path !== TOKEN_PATH) return next();

    const activeFault = fault;
    if (activeFault) {
      // Not processed by oidc-provider: read the body ourselves to learn the grant_type.
      const raw = await readSmallBody(ctx.req);
      countToken(new URLSearchParams(raw).get('grant_type'));
      ctx.set('Cache-Control', 'no-store');
      if ('hang' in activeFault) {
        await new Promise<void>((resolve) => ctx.req.socket.once('close', () => resolve()));
        return;
      }
      if ('status' in activeFault) {
        ctx.status = 503;
        ctx.body = { error: 'temporarily_unavailable', error_description: 'demo provider: injected 503 fault' };
      } else {
        ctx.status = 400;
        ctx.body = {
          error: activeFault.error,
          error_description: `demo provider: injected ${activeFault.error} fault`,
        };
      }
      return;
    }

    // Normal path: let oidc-provider parse the body (it must own the stream), then count from
    // its parsed body. The counter is updated before the response is written to the socket.
    let grantType: unknown;
    try {
      await next();
      grantType = ctx.oidc?.body?.grant_type;
    } finally {
      countToken(grantType);
    }
    if (ctx.body && typeof ctx.body === 'object' && 'expires_in' in ctx.body) {
      const body = ctx.body as Record<string, unknown>;
      if (opts.omitExpiresIn) delete body.expires_in;
      else if (opts.statedExpiresIn !== undefined) body.expires_in = opts.statedExpiresIn;
    }
  });

  server.on('request', provider.callback());

  const basicAuth = `Basic ${Buffer.from(
    `${encodeURIComponent(firstClient.clientId)}:${encodeURIComponent(firstClient.clientSecret)}`,
  ).toString('base64')}`;

  return {
    issuer,
    port,
    counts,
    seen,
    oidc: provider,
    setTokenEndpointFault(f) {
      fault = f;
    },
    async introspect(token) {
      const res = await fetch(`${issuer}${INTROSPECTION_PATH}`, {
        method: 'POST',
        headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      if (!res.ok) throw new Error(`demo provider introspection failed: HTTP ${res.status} ${await res.text()}`);
      const json = (await res.json()) as { active?: unknown; client_id?: unknown };
      return { active: json.active === true, clientId: typeof json.client_id === 'string' ? json.client_id : null };
    },
    async setReachable(reachable) {
      if (reachable === server.listening) return;
      if (!reachable) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        return;
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    async close() {
      if (!server.listening) return;
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // browsers keep connections alive
      });
    },
  };
}

/**
 * oidc-provider warns, on every start, that it runs on Node 20, with its in-memory adapter and its
 * dev interactions: all by design for this demo provider. Those known notices are dropped; any other
 * warning still prints.
 */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  const known = /oidc-provider WARNING: (Unsupported runtime|a quick start development-only)/;
  console.warn = (...args: unknown[]) => {
    if (!known.test(String(args[0]))) warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}
