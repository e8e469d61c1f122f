// The API of "a third-party SaaS provider" beside the demo authorization server, for the proxy's
// tests and bench: it accepts only access tokens that server issued (asked at its introspection
// endpoint) and echoes what it received, so a test can see exactly what reached the provider.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

export interface DemoResourceServer {
  url: string;
  port: number;
  /** every request that reached the server, token accepted or not */
  received: ReceivedRequest[];
  /** TCP connections accepted (a refused call must not even open one) */
  connections: number;
  close(): Promise<void>;
}

export interface DemoResourceServerOptions {
  /** answers whether the demo authorization server issued this token and it is still active */
  introspect(token: string): Promise<{ active: boolean }>;
  /** keep an active verdict this long (the bench: the introspection round trip is not what it measures) */
  introspectionCacheMs?: number;
  host?: string;
}

const PATTERN = Buffer.alloc(64 * 1024, 'connectflow-proxy-download-');

/**
 * Routes (any method, any prefix before them, e.g. /api/echo):
 * - `.../echo`: the request body back as it came, with its content type (and a Set-Cookie to be dropped);
 * - `.../download?bytes=N`: N bytes of a fixed pattern, streamed;
 * - `.../status/<code>?key=K&times=T&retry_after=S`: <code> for the first T requests of key K, then 200;
 * - `.../redirect?to=URL`: a 302 to URL;
 * - `.../slow?ms=M`: answers after M ms;
 * - anything else: 200 with a JSON summary of the request.
 */
export async function createDemoResourceServer(options: DemoResourceServerOptions): Promise<DemoResourceServer> {
  const received: ReceivedRequest[] = [];
  const statusCounts = new Map<string, number>();
  const verdicts = new Map<string, number>();
  const state = { connections: 0 };

  const accepted = async (authorization: string | undefined): Promise<boolean> => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token) return false;
    const until = verdicts.get(token);
    if (until !== undefined && until > Date.now()) return true;
    const { active } = await options.introspect(token);
    if (active && options.introspectionCacheMs) verdicts.set(token, Date.now() + options.introspectionCacheMs);
    return active;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://resource.invalid');
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    const echo = url.pathname.endsWith('/echo');
    for await (const chunk of req) {
      bodyBytes += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
      if (echo) chunks.push(chunk as Buffer);
    }
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodyBytes,
      bodySha256: hash.digest('hex'),
    });
    if (!(await accepted(req.headers.authorization))) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_token"' });
      return res.end(JSON.stringify({ error: 'invalid_token' }));
    }
    const param = (name: string) => url.searchParams.get(name) ?? undefined;

    if (echo) {
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/octet-stream',
        'set-cookie': 'provider_session=1; Path=/',
        'x-echo-method': req.method ?? '',
      });
      return res.end(Buffer.concat(chunks));
    }
    if (url.pathname.endsWith('/download')) {
      let left = Number(param('bytes') ?? 0);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
      while (left > 0) {
        const piece = PATTERN.subarray(0, Math.min(left, PATTERN.length));
        left -= piece.length;
        if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
      }
      return res.end();
    }
    const status = /\/status\/(\d{3})$/.exec(url.pathname);
    if (status) {
      const key = `${param('key') ?? ''}`;
      const seen = (statusCounts.get(key) ?? 0) + 1;
      statusCounts.set(key, seen);
      if (seen <= Number(param('times') ?? 1)) {
        const retryAfter = param('retry_after');
        res.writeHead(Number(status[1]), {
          'content-type': 'application/json',
          ...(retryAfter ? { 'retry-after': retryAfter } : {}),
        });
        return res.end(JSON.stringify({ status: Number(status[1]), attempt: seen }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ status: 200, attempt: seen }));
    }
    if (url.pathname.endsWith('/redirect')) {
      res.writeHead(302, { location: param('to') ?? '/' });
      return res.end();
    }
    if (url.pathname.endsWith('/slow')) {
      await new Promise((resolve) => setTimeout(resolve, Number(param('ms') ?? 1000)));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, method: req.method, path: url.pathname, query: url.search, bodyBytes }));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    });
  });
  server.on('connection', () => state.connections++);
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    received,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
