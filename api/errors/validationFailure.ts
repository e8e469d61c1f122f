import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError } from './HttpError.js';

const where: Record<string, string> = { querystring: 'query', body: 'body', params: 'params', headers: 'headers' };

/** A failed schema validation as a 400 `bad_request` whose details are `[{ path: 'body.x', message }]`. */
export function validationFailure(err: unknown): HttpError | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  const details = err.validation.map((issue) => ({
    path: [where[context] ?? context, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
    message: issue.message,
  }));
  const message = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new HttpError(400, 'bad_request', message, details);
}
