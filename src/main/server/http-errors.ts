import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { describeIssues } from '../../shared/event.js';
import { redactConnectionString } from '../connection-string.js';

/** Errors cross the wire as {error: code, message}; connection strings are stripped from every message. */
export interface HttpErrorBody {
  error: string;
  message: string;
  issues?: Array<{ path: string; message: string }>;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendValidationError(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const body: HttpErrorBody = {
    error: 'invalid_request',
    message: describeIssues(error),
    issues: error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message })),
  };
  return reply.code(400).send(body);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message } satisfies HttpErrorBody);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({ error: 'body_too_large', message: 'Request body is larger than 1 MB' });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: 'unsupported_media_type', message: 'Send Content-Type: application/json' });
    }
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError || err.statusCode === 400) {
      return reply.code(400).send({ error: 'invalid_json', message: `Body is not valid JSON: ${err.message}` });
    }
    req.log.error({ err: redactConnectionString(String(err.stack ?? err)) }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: redactConnectionString(err.message) });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` }),
  );
}
