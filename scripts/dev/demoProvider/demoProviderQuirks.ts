// Quirks of real OAuth2 providers, played by the demo provider for the catalog conformance tests.
// Each one is enforced: a client that does not honour it fails the request, as at the real provider.
import type { IncomingMessage } from 'node:http';
import type { DemoKoaContext } from 'oidc-provider';
import type { DemoProvider, DemoProviderQuirks } from './createDemoProvider.js';

type Middleware = (ctx: DemoKoaContext, next: () => Promise<void>) => Promise<void>;

const refuse = (ctx: DemoKoaContext, status: number, error: string, description: string) => {
  ctx.status = status;
  ctx.body = { error, error_description: `demo provider: ${description}` };
};

export function quirkMiddleware(
  quirks: DemoProviderQuirks,
  seen: DemoProvider['seen'],
  readBody: (req: IncomingMessage) => Promise<string>,
): Middleware {
  return async (ctx, next) => {
    const isToken = ctx.method === 'POST' && ctx.path === '/token';
    const isRevocation = ctx.method === 'POST' && ctx.path === '/token/revocation';
    if (ctx.method === 'GET' && ctx.path === '/auth') {
      const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : undefined;
      if (scope !== undefined) seen.authorizationScopes.push(scope);
      const missing = missingParams(quirks.authorizationParams, (key) => ctx.query[key]);
      if (missing) return refuse(ctx, 400, 'invalid_request', `the authorization request needs ${missing}`);
      if (quirks.refusePkce && ctx.query.code_challenge !== undefined) {
        return refuse(ctx, 400, 'invalid_request', 'PKCE is not supported here (code_challenge sent)');
      }
      if (quirks.scopeSeparator && scope !== undefined) {
        if (quirks.scopeSeparator !== ' ' && scope.includes(' ')) {
          return refuse(ctx, 400, 'invalid_scope', `scopes are separated by "${quirks.scopeSeparator}"`);
        }
        ctx.query = { ...ctx.query, scope: scope.split(quirks.scopeSeparator).join(' ') };
      }
    }
    if (isToken || isRevocation) {
      // Without an Authorization header the client can only authenticate in the body (oidc-provider checks it).
      const method = ctx.get('authorization') ? 'client_secret_basic' : 'client_secret_post';
      seen.clientAuth.push(method);
      if (quirks.clientAuth && method !== quirks.clientAuth) {
        return refuse(ctx, 401, 'invalid_client', `only ${quirks.clientAuth} is accepted`);
      }
    }
    if (isToken) {
      seen.tokenContentTypes.push(ctx.get('content-type'));
      if (quirks.jsonTokenRequests) {
        if (!ctx.is('application/json')) return refuse(ctx, 400, 'invalid_request', 'token requests are JSON bodies');
        let body: unknown;
        try {
          body = JSON.parse(await readBody(ctx.req));
        } catch {
          return refuse(ctx, 400, 'invalid_request', 'the JSON body does not parse');
        }
        // Hand oidc-provider the parsed fields as the form it expects (the stream is consumed).
        Object.assign(ctx.req, { body });
        ctx.req.headers['content-type'] = 'application/x-www-form-urlencoded';
      }
    }
    if (isToken && quirks.tokenParams && !quirks.jsonTokenRequests) {
      // Read the form to check it, then hand oidc-provider the parsed fields (the stream is consumed).
      const form = new URLSearchParams(await readBody(ctx.req));
      const missing = missingParams(quirks.tokenParams, (key) => form.get(key) ?? undefined);
      if (missing) return refuse(ctx, 400, 'invalid_request', `the token request needs ${missing}`);
      Object.assign(ctx.req, { body: Object.fromEntries(form) });
    }
    if (isToken && (quirks.jsonTokenRequests || quirks.tokenParams)) await withoutParsedBodyNotice(next);
    else await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (isToken && ctx.status === 200 && body && typeof body === 'object' && quirks.tokenResponseFields) {
      Object.assign(body, quirks.tokenResponseFields);
    }
    if (isToken && ctx.status === 200 && body && typeof body === 'object' && quirks.nestTokensUnder) {
      const tokenFields = ['access_token', 'refresh_token', 'expires_in', 'token_type', 'scope', 'id_token'];
      const nested = Object.fromEntries(tokenFields.filter((f) => f in body).map((f) => [f, body[f]]));
      for (const field of tokenFields) delete body[field];
      body[quirks.nestTokensUnder] = nested;
    }
    if (quirks.callbackParams && (ctx.status === 302 || ctx.status === 303)) {
      const target = ctx.response.get('location');
      const location = new URL(/^https?:\/\//.test(target) ? target : 'http://relative.invalid/');
      if (
        location.searchParams.has('state') &&
        (location.searchParams.has('code') || location.searchParams.has('error'))
      ) {
        for (const [key, value] of Object.entries(quirks.callbackParams)) location.searchParams.set(key, value);
        ctx.set('location', location.href);
      }
    }
  };
}

/** `key=value` of the first required parameter that is missing or different, if any. */
function missingParams(
  required: Record<string, string> | undefined,
  valueOf: (key: string) => unknown,
): string | undefined {
  const entry = Object.entries(required ?? {}).find(([key, value]) => valueOf(key) !== value);
  return entry && `${entry[0]}=${entry[1]}`;
}

/** oidc-provider notes (once) that a body was parsed before it: on purpose here, for JSON token requests. */
async function withoutParsedBodyNotice(next: () => Promise<void>): Promise<void> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/already parsed request body detected/.test(String(args[0]))) warn(...args);
  };
  try {
    await next();
  } finally {
    console.warn = warn;
  }
}
