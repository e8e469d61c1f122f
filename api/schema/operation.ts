import type { ApiScope } from '../../lib/store/documents.js';

declare module 'fastify' {
  interface FastifySchema {
    /** The API-token scope the route needs, copied into its OpenAPI operation by @fastify/swagger. */
    'x-scope'?: ApiScope;
  }
}

/** A route's OpenAPI operation fields: its summary and the scope its token needs (security and x-scope). */
export function operation(summary: string, scope?: ApiScope) {
  if (!scope) return { summary, security: [] };
  return {
    summary,
    description: `Needs an API token with the scope \`${scope}\`.`,
    security: [{ bearer: [scope] }],
    'x-scope': scope,
  };
}
