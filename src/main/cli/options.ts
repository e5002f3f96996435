import type { z } from 'zod';
import { ConfigError } from '../config.js';

/** Validates CLI flags with zod; the error names the flag (--port: ...). */
export function parseOption<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues
      .map((i) => `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`Invalid option ${msg}`);
  }
  return r.data;
}
