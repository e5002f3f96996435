import type { z } from 'zod';
import type { ApiErrorBody } from '../../shared/contract.js';
import { describeIssues } from '../../shared/event.js';
import { redactConnectionString } from '../connection-string.js';

/**
 * Error codes that cross both transports. Handlers throw CoreError with one of these (or their own code) and a
 * message meant for the founder reading it; anything else becomes `internal`.
 */
export type CoreErrorCode =
  | 'unknown_channel'
  | 'invalid_input'
  | 'invalid_output'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'connection_failed'
  | 'cancelled'
  | 'internal'
  | (string & {});

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

/** HTTP status for each code (the IPC transport carries the code itself). */
export function httpStatusFor(code: string): number {
  switch (code) {
    case 'invalid_input':
      return 400;
    case 'unknown_channel':
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'cancelled':
      return 499;
    case 'unavailable':
    case 'connection_failed':
      return 503;
    default:
      return 500;
  }
}

export function invalidInput(channel: string, error: z.ZodError): CoreError {
  return new CoreError('invalid_input', `Invalid input for ${channel}: ${describeIssues(error)}`);
}

/** Any thrown value → {code, message}, with connection strings (user:password@) stripped. */
export function toApiError(err: unknown): ApiErrorBody {
  if (err instanceof CoreError) return { code: err.code, message: redactConnectionString(err.message) };
  if (err instanceof Error && err.name === 'AbortError') return { code: 'cancelled', message: 'Cancelled' };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: redactConnectionString(message || 'Unexpected error') };
}
