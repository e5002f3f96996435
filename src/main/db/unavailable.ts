/**
 * Errors that mean "PostgreSQL cannot be reached right now", as opposed to a fault in the request or the code: the
 * HTTP service answers them 503 with Retry-After (a retry will succeed once the database is back), everything else 500.
 */

// Socket errors while connecting or talking to the server (node:net, DNS).
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

// SQLSTATEs of a server that is going away, starting, or full: 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now, 53300 too_many_connections; class 08 is connection_exception.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

// node-postgres and pg-pool report a lost or refused connection in words, without a code.
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
  // Node 20 tries every address of a host (IPv4 and IPv6) and reports an AggregateError of the refusals.
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => isDatabaseUnavailable(e, depth + 1));
}
