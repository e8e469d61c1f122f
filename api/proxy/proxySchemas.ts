import { z } from 'zod';

/** Methods the proxy forwards (CONNECT and TRACE never). */
export const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** At most this many retries of 5xx and connection errors a caller may ask for. */
export const MAX_RETRIES_ASKED = 5;

/** RFC 9110 token: a header name; a value without CR, LF or NUL. */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/, 'must be an HTTP header name');
const HeaderValue = z
  .string()
  .max(16_384)
  .regex(/^[^\r\n\0]*$/, 'must not hold CR, LF or NUL');

/** `POST /api/connections/:id/request`: the integrations API's JSON request envelope. */
export const ProxyEnvelope = z.object({
  method: z
    .enum([...PROXY_METHODS, ...PROXY_METHODS.map((m) => m.toLowerCase() as Lowercase<typeof m>)])
    .optional()
    .describe('HTTP method, GET by default'),
  url: z
    .string()
    .min(1)
    .max(8_192)
    .describe("a path (with its query) under the connection's API base, or an absolute URL on its origin"),
  headers: z
    .record(HeaderName, HeaderValue)
    .optional()
    .describe('sent to the provider, minus credentials and hop-by-hop headers'),
  data: z
    .unknown()
    .optional()
    .describe('the body: a string is sent as it is, any other JSON value as the JSON text written here'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(MAX_RETRIES_ASKED)
    .optional()
    .describe('retries of 5xx and connection errors (default: 2 for idempotent methods, else 0)'),
});

/** The path form's control header: how many retries of 5xx and connection errors the caller allows. */
export const RETRIES_HEADER = 'x-connectflow-retries';
