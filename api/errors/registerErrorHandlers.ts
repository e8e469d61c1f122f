import type { FastifyError, FastifyInstance } from 'fastify';
import { dependencyUnavailable } from './dependencyUnavailable.js';
import { HttpError } from './HttpError.js';
import { validationFailure } from './validationFailure.js';

const names: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
};

/** Maps every error to the JSON error body; Fastify's own 4xx (bad JSON, media type, size) keep their status. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    if (err instanceof HttpError) return reply.code(err.statusCode).send(err.toBody());
    const invalid = validationFailure(err);
    if (invalid) return reply.code(400).send(invalid.toBody());
    const status = err.statusCode;
    if (status && status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: names[status] ?? 'bad_request', message: err.message, details: { code: err.code } });
    }
    const unavailable = dependencyUnavailable(err);
    if (unavailable) {
      request.log.warn({ err }, `${unavailable} unavailable`);
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: 'service_unavailable',
          message: `${unavailable} is unreachable or overloaded right now; retry shortly`,
          details: { dependency: unavailable },
        });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'something went wrong on our side' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
