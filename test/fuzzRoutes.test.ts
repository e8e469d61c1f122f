import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../lib/store/openStore.js';
import { startInProcessApi } from './support/inProcessApi.js';
import { newAccount } from './support/testStack.js';

/**
 * Property-based fuzzing of every route of a real API (its own database on the test FerretDB, the
 * suite's Temporal): no input gets a 5xx, every error is a JSON {error, message}, and requests that
 * are rejected change nothing in MongoDB.
 */
let api: Awaited<ReturnType<typeof startInProcessApi>>;
let app: FastifyInstance;
let store: Store;
let token: string;
let readOnlyToken: string;
const database = `fuzz_${Date.now()}`;
const stats = { cases: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  api = await startInProcessApi({ MONGODB_DATABASE: database, CONNECTFLOW_CALLBACK_RATE_LIMIT: '1000000' });
  app = api.app;
  store = api.store;
  token = (await newAccount(store)).token;
  readOnlyToken = (await newAccount(store, ['connection:read'])).token;
});
afterAll(async () => {
  console.log(
    `fuzz: ${stats.cases} requests; statuses ${[...stats.byStatus.entries()]
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(', ')}`,
  );
  await store?.db.dropDatabase();
  await api?.close();
});

const ROUTES: Array<[string, string]> = [
  ['GET', '/api/connection_types'],
  ['POST', '/api/oauth2'],
  ['POST', '/api/oauth2/credentials'],
  ['PUT', '/api/connections'],
  ['GET', '/api/connections'],
  ['GET', '/api/connections/:id'],
  ['PUT', '/api/connections/:id'],
  ['DELETE', '/api/connections/:id'],
  ['POST', '/api/connections/:id/refresh'],
  ['POST', '/api/connections/:id/reauthorize'],
  ['GET', '/api/connections/:id/proxy/v1/items'],
  ['POST', '/api/connections/:id/proxy/v1/items'],
  ['PUT', '/api/connections/:id/proxy/%2e%2e/admin'],
  ['DELETE', '/api/connections/:id/proxy'],
  ['POST', '/api/connections/:id/request'],
  ['GET', '/api/account'],
  ['PUT', '/api/account'],
  ['GET', '/api/events'],
  ['PUT', '/api/webhook'],
  ['GET', '/api/webhook'],
  ['POST', '/api/webhook/test'],
  ['GET', '/api/webhook/deliveries'],
  ['GET', '/oauth2/callback'],
  ['GET', '/connect/:id'],
  ['POST', '/connect/:id'],
  ['GET', '/connect.js'],
  ['POST', '/codec/decode'],
  ['POST', '/codec/session'],
  ['GET', '/api/no/such/route'],
];

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const scalar = fc.oneof(unicode, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const nested = (depth: number): unknown => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
const plausibleBody = fc.record(
  {
    datasource_id: fc.oneof(fc.constantFrom('demo', 'salesforce', 'nope', ''), unicode, fc.integer()),
    validity_duration: fc.oneof(fc.integer({ min: -10, max: 50_000 }), fc.double(), unicode, fc.constant(null)),
    pull_id: fc.oneof(unicode, fc.integer(), fc.string({ maxLength: 300 })),
    connection_type: fc.oneof(fc.constant('demo'), unicode),
    connection_name: fc.oneof(unicode, fc.integer(), fc.string({ maxLength: 300 })),
    credentials: fc.oneof(fc.dictionary(unicode, scalar), scalar, fc.record({ connection_id: unicode })),
    redirect_url: fc.oneof(fc.webUrl(), unicode, fc.constant('javascript:alert(1)')),
    name: fc.oneof(unicode, fc.integer(), fc.string({ maxLength: 150 })),
    redirect_origins: fc.oneof(fc.array(fc.oneof(fc.webUrl(), unicode), { maxLength: 25 }), unicode),
    scopes: fc.oneof(fc.array(unicode, { maxLength: 60 }), unicode),
    payloads: fc.oneof(
      fc.array(fc.record({ metadata: fc.dictionary(unicode, unicode), data: unicode }), { maxLength: 3 }),
      unicode,
    ),
    token: fc.oneof(unicode, fc.string({ minLength: 10, maxLength: 60 })),
    // the proxy's envelope
    method: fc.oneof(fc.constantFrom('GET', 'post', 'CONNECT', 'TRACE', ''), unicode),
    url: fc.oneof(fc.constantFrom('/x', '../x', '%2e%2e/x', 'http://169.254.169.254/', '//evil'), fc.webUrl(), unicode),
    headers: fc.oneof(fc.dictionary(unicode, fc.oneof(unicode, fc.constant('a\r\nb'))), scalar),
    data: fc.oneof(scalar, fc.jsonValue()),
    retries: fc.oneof(fc.integer({ min: -2, max: 10 }), unicode),
  },
  { requiredKeys: [] },
);
const rawBody = fc.oneof(
  plausibleBody.map((b) => JSON.stringify(b)),
  fc.json(),
  fc.string({ maxLength: 200 }).map((s) => `{"datasource_id": ${s}`), // malformed JSON
  fc.constantFrom(
    '',
    '{',
    '[]',
    'null',
    '"x"',
    '{"__proto__": {"admin": true}}',
    '{"constructor": {"prototype": {"x": 1}}}',
  ),
  fc.integer({ min: 100, max: 3000 }).map((d) => JSON.stringify(nested(d))), // deeply nested
  fc.constant(JSON.stringify({ datasource_id: 'x'.repeat(1_200_000) })), // over the body limit
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/xml',
  'multipart/form-data; boundary=x',
  'garbage/garbage',
  undefined,
);
const pathParam = fc.oneof(
  unicode,
  fc.uuid(),
  fc.string({ maxLength: 300 }),
  fc.constantFrom('..', '%00', '%2F', "'; drop table", '$where', '{"$gt":""}'),
);
const query = fc.dictionary(
  fc.constantFrom(
    'page',
    'page_size',
    'include_credentials',
    'state',
    'code',
    'error',
    'error_description',
    'iss',
    'after',
    'limit',
    'type',
    'connection_id',
    '$where',
    '__proto__',
  ),
  fc.oneof(unicode, fc.integer().map(String), fc.constant('')),
  { maxKeys: 5 },
);
const authorization = fc.constantFrom<'valid' | 'readonly' | 'none' | 'garbage' | 'basic'>(
  'valid',
  'valid',
  'readonly',
  'none',
  'garbage',
  'basic',
);
const requestArb = fc.record({
  route: fc.constantFrom(...ROUTES),
  id: pathParam,
  query,
  body: fc.option(rawBody, { nil: undefined }),
  contentType,
  authorization,
  acceptJson: fc.boolean(),
});

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

async function send(r: FuzzRequest) {
  const [method, template] = r.route;
  const path = template.replace(':id', encodeURIComponent(r.id));
  const headers: Record<string, string> = {};
  if (r.contentType && r.body !== undefined) headers['content-type'] = r.contentType;
  if (r.acceptJson) headers.accept = 'application/json';
  if (r.authorization === 'valid') headers.authorization = `Bearer ${token}`;
  if (r.authorization === 'readonly') headers.authorization = `Bearer ${readOnlyToken}`;
  if (r.authorization === 'garbage') headers.authorization = 'Bearer \u00ff\u0000nonsense';
  if (r.authorization === 'basic') headers.authorization = 'Basic dXNlcjpwYXNz';
  const res = await app.inject({
    method: method as 'GET',
    url: path,
    query: r.query,
    headers,
    ...(r.body !== undefined && method !== 'GET' ? { payload: r.body } : {}),
  });
  stats.cases++;
  stats.byStatus.set(res.statusCode, (stats.byStatus.get(res.statusCode) ?? 0) + 1);
  return { method, template, res };
}

/** Everything in the fuzz database but `accounts` (which an accepted PUT /api/account rightly changes). */
async function snapshot(): Promise<string> {
  const parts: string[] = [];
  for (const { name } of await store.db.listCollections().toArray()) {
    if (name === 'accounts') continue;
    const docs = await store.db.collection(name).find({}).sort({ _id: 1 }).toArray();
    // lastUsedAt records token use (of any request, accepted or not): not content a request changes.
    parts.push(name, JSON.stringify(docs.map(({ lastUsedAt: _ignored, ...doc }) => doc)));
  }
  return parts.join('\n');
}

describe('fuzzing every route', () => {
  it('10,000+ random requests: never a 5xx, errors are JSON {error, message}, rejected requests change nothing', async () => {
    const before = await snapshot();
    let lastAcceptedOrigins: string[] | undefined;
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const { method, template, res } = await send(r);
        expect(res.statusCode, `${method} ${template} -> ${res.statusCode} ${res.body.slice(0, 300)}`).toBeLessThan(
          500,
        );
        if (res.statusCode >= 400) {
          const page = template === '/connect/:id' && String(res.headers['content-type']).startsWith('text/html');
          const html = (template === '/oauth2/callback' && !r.acceptJson) || page;
          if (!html) {
            const body = res.json();
            expect(typeof body.error).toBe('string');
            expect(typeof body.message).toBe('string');
          }
        } else if (method === 'PUT' && template === '/api/account' && r.authorization === 'valid') {
          lastAcceptedOrigins = res.json().redirect_origins;
        }
      }),
      { numRuns: 10_500, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(stats.cases).toBeGreaterThanOrEqual(10_000);
    // Nothing a request could reach changed, except the account settings the last accepted PUT set.
    expect(await snapshot()).toBe(before);
    const accounts = await store.accounts.find({}).toArray();
    if (lastAcceptedOrigins === undefined) expect(accounts).toEqual([]);
    else expect(accounts.map((a) => a.redirectOrigins)).toEqual([lastAcceptedOrigins]);
    // 25-40 s on a quiet 2-core machine; the suite runs other files beside it.
  }, 240_000);
});
