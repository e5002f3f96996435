import type { z } from 'zod';
import { ConfigError } from '../config.js';

/** Validates CLI flags with zod; the error names the flag (--port: ...). */
export function parseOption<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues
      // zod's own message may start with "Invalid option: " (enums); the flag's name already says what is invalid.
      .map((i) => `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ${i.message.replace(/^Invalid (option|input): /, '')}`)
      .join('; ');
    throw new ConfigError(`Invalid ${msg}`);
  }
  return r.data;
}
