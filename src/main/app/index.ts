import { createCore, type Core, type CoreOptions, type HandlerMap } from '../core/index.js';
import { handlers } from './handlers.js';

export type { Core, CoreOptions };

/** The core with every feature's handlers: what the desktop shell, `uis web`, `uis serve` and the tests run. */
export function createAppCore(opts: Omit<CoreOptions, 'handlers'>): Core {
  return createCore({ ...opts, handlers: handlers as unknown as HandlerMap });
}
