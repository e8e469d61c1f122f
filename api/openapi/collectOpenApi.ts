import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { RouteDoc } from './routeDoc.js';

type Operation = Record<string, unknown>;

/**
 * Builds the OpenAPI 3.1 document from the routes as they are registered (onRoute), with JSON
 * Schemas generated from the zod schemas the handlers parse with. Call before registering routes.
 */
export function collectOpenApi(app: FastifyInstance): () => Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });

  app.addHook('onRoute', (route: RouteOptions) => {
    const routeDoc = (route.config as { doc?: RouteDoc } | undefined)?.doc;
    if (!routeDoc) return;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', routeDoc.params], ['query', routeDoc.query]] as const) {
      if (!schema) continue;
      const properties = (jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] }).properties ?? {};
      const required = new Set((jsonSchema(schema) as { required?: string[] }).required ?? []);
      for (const [name, s] of Object.entries(properties)) parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
    const operation: Operation = {
      summary: routeDoc.summary,
      ...(routeDoc.scope ? { security: [{ bearer: [routeDoc.scope] }], 'x-scope': routeDoc.scope } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(routeDoc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(routeDoc.body) } } } } : {}),
      responses: Object.fromEntries(
        Object.entries({ 200: 'OK', ...routeDoc.responses }).map(([status, description]) => [
          status,
          Number(status) >= 400 ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : { description },
        ]),
      ),
    };
    for (const method of methods) (paths[path] ??= {})[method.toLowerCase()] = operation;
  });

  return () => ({
    openapi: '3.1.0',
    info: { title: 'connectflow', version: '0.1.0', description: 'Create and keep OAuth2 connections to third-party data sources.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API token (npm run token -- create ...)' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: { error: { type: 'string' }, message: { type: 'string' }, details: {} },
        },
      },
    },
  });
}
