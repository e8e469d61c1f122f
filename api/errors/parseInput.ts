import type { z } from 'zod';
import { HttpError } from './HttpError.js';

/** Parses a body, query or params with zod; bad input is a 400 naming each problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const message = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  throw new HttpError(400, 'bad_request', message, details);
}
