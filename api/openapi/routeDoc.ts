import type { z } from 'zod';
import type { ApiScope } from '../../lib/store/documents.js';

/** What a route tells the OpenAPI document: the same zod schemas its handler parses with. */
export interface RouteDoc {
  summary: string;
  scope?: ApiScope;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  responses?: Record<number, string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    doc?: RouteDoc;
  }
}

/** `config: doc({...})` on a route. */
export const doc = (routeDoc: RouteDoc): { doc: RouteDoc } => ({ doc: routeDoc });
