import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { HttpErrorBody } from '../../shared/contract.js';
import { describeIssues } from '../../shared/event.js';
import { formatPath } from '../../shared/storable.js';
import { redactConnectionString } from '../connection-string.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

/**
 * Errors cross the wire as {error: code, message} (HttpErrorBody, src/shared/contract.ts). A 4xx names the field,
 * parameter or header at fault; a 5xx says nothing of the cause (no SQL, no driver message) and is logged with its
 * route, the cause and its stack instead.
 */

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Seconds a client is told to wait while PostgreSQL is unreachable (Retry-After on the 503). */
export const RETRY_AFTER_SECONDS = 5;

/** A 400 naming each field at fault; `where` is the part of the request that was validated. */
export function sendValidationError(reply: FastifyReply, error: z.ZodError, where: 'body' | 'query' | 'path' | 'headers' = 'body'): FastifyReply {
  const body: HttpErrorBody = {
    error: 'invalid_request',
    message: describeIssues(error, `(${where})`),
    issues: error.issues.slice(0, 20).map((i) => ({ path: formatPath(i.path), message: i.message })),
  };
  return reply.code(400).send(body);
}

/** Where a 5xx is reported: one line (plus the stack) per failed request, connection strings removed. */
export type ErrorLog = (line: string) => void;

const defaultLog: ErrorLog = (line) => process.stderr.write(line + '\n');

/** The route pattern, never the raw URL: ids in paths are user data (and may hold anything, NUL included). */
function routeOf(req: FastifyRequest): string {
  return `${req.method} ${req.routeOptions?.url ?? '(no route)'}`;
}

function describeCause(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; stack?: unknown };
  const code = typeof e?.code === 'string' ? ` [${e.code}]` : '';
  const text = typeof e?.stack === 'string' ? e.stack : String(e?.message ?? err);
  return redactConnectionString(`${text}${code}`);
}

export function installErrorHandler(app: FastifyInstance, log: ErrorLog = defaultLog): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message } satisfies HttpErrorBody);
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.code(413).send({ error: 'body_too_large', message: '(body): larger than 1 MB; send fewer events per batch' });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.code(415).send({ error: 'unsupported_media_type', message: `Content-Type: send application/json (got ${JSON.stringify(req.headers['content-type'] ?? 'none')})` });
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.code(400).send({ error: 'invalid_json', message: '(body): empty; send a JSON object' });
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return reply.code(400).send({ error: 'bad_request', message: 'Content-Length header: does not match the body received' });
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', message: `(request): ${err.message}` });
    }
    if (isDatabaseUnavailable(err)) {
      log(`HTTP 503 ${routeOf(req)} (${req.id}): PostgreSQL unavailable: ${describeCause(err)}`);
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ error: 'unavailable', message: `PostgreSQL is unavailable; retry in ${RETRY_AFTER_SECONDS} s (resending the same event ids is safe)` });
    }
    log(`HTTP 500 ${routeOf(req)} (${req.id}): ${describeCause(err)}`);
    return reply.code(500).send({ error: 'internal', message: `Unexpected error, logged as request ${req.id}` });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: 'not_found', message: `No route ${req.method} ${req.url.split('?')[0]}` }),
  );
}

/**
 * fastify's `frameworkErrors`: a path whose percent-encoding does not decode to UTF-8, or a path parameter longer
 * than the router takes, answered in the service's shape.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send({ error: 'uri_too_long', message: '(path): a path parameter (:id, :channel) is longer than 256 characters; user ids are at most 200' });
    return;
  }
  void reply.code(400).send({ error: 'bad_request', message: '(path): not a valid URL: its percent-encoding must decode to UTF-8 (%E2%82%AC is €; %FF, %C0%80 or a lone % are not)' });
}

// Node's HTTP parser (llhttp) refuses a request before fastify sees it; its error codes, said in words.
const PARSER_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, '(request): the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'headers: larger than the server accepts (16 KB)'],
  HPE_INVALID_HEADER_TOKEN: [400, 'a header name or value holds a character HTTP does not allow'],
  HPE_INVALID_URL: [400, 'request line: the path holds a character HTTP does not allow (percent-encode it)'],
  HPE_INVALID_METHOD: [400, 'request line: not an HTTP method'],
  HPE_INVALID_VERSION: [400, 'request line: not HTTP/1.0 or HTTP/1.1'],
  HPE_INVALID_CONSTANT: [400, 'request line: not HTTP'],
  HPE_INVALID_CHUNK_SIZE: [400, '(body): the chunked transfer encoding is malformed'],
  HPE_INVALID_CONTENT_LENGTH: [400, 'Content-Length header: not a number, or given twice'],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, 'Content-Length header: not allowed with Transfer-Encoding: chunked'],
  HPE_INVALID_TRANSFER_ENCODING: [400, 'Transfer-Encoding header: only chunked is accepted, and last'],
  HPE_CR_EXPECTED: [400, 'request line or a header is not terminated by CRLF'],
  HPE_LF_EXPECTED: [400, 'request line or a header is not terminated by CRLF'],
};

/** fastify's `clientErrorHandler`: what the HTTP parser refused, answered in the service's shape, naming the part. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = PARSER_ERRORS[err.code ?? ''] ?? [400, `(request): not valid HTTP/1.1 (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: 'bad_request', message } satisfies HttpErrorBody);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 408 ? 'Request Timeout' : 'Request Header Fields Too Large'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
