import { z } from 'zod';
import { ErrorBody, noBody } from '../schema/errorResponses.js';

/**
 * The provider's redirect parameters (RFC 6749 §4.1.2, RFC 9207 iss), and any others it adds (e.g.
 * QuickBooks realmId), kept when its catalog entry declares them.
 */
const param = z.string().max(4096).optional();
export const CallbackQuery = z
  .object({
    state: param,
    code: param,
    iss: param,
    error: z.string().max(256).optional(),
    error_description: z.string().max(2048).optional(),
  })
  .catchall(z.string().max(2048));

/** The query parameters besides the standard ones, at most 20 of them. */
export function otherCallbackParams(query: Record<string, string | undefined>): Record<string, string> {
  const standard = new Set(['state', 'code', 'iss', 'error', 'error_description']);
  const others = Object.entries(query).filter(
    (e): e is [string, string] => !standard.has(e[0]) && typeof e[1] === 'string',
  );
  return Object.fromEntries(others.slice(0, 20));
}

/** The page's JSON (Accept: application/json), loose as each outcome has its own fields; or an API error (429, 503). */
const Outcome = z.looseObject({ connected: z.boolean() });
const pageSchema = (description: string) => z.union([Outcome, ErrorBody]).describe(description);

/** Each status the callback answers, for the OpenAPI document. */
export const CallbackResponses = {
  200: pageSchema('connected'),
  202: pageSchema('still being completed'),
  302: noBody('to the redirect_url'),
  400: pageSchema('malformed parameters or unknown state'),
  409: pageSchema('already used'),
  410: pageSchema('expired'),
  422: pageSchema('the provider refused'),
  429: pageSchema('rate limited'),
  503: pageSchema('Temporal unreachable; reload to retry'),
};
