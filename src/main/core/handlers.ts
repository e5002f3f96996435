import type { Contract } from '../../shared/api/index.js';
import { analyticsHandlers } from './analytics-handlers.js';
import { appHandlers } from './app-handlers.js';
import { liveHandlers } from '../live/handlers.js';
import { intelligenceHandlers } from '../intelligence/handlers.js';
import { llmHandlers } from './llm-handlers.js';
import type { HandlersFor } from './types.js';
import { workspaceHandlers } from './workspace-handlers.js';
import { reportHandlers } from '../reports/handlers.js';

/**
 * Every channel's handler, merged: one line per feature (src/main/<feature>/handlers.ts). `satisfies` makes the
 * type checker refuse a contract channel without a handler, or a handler whose output does not fit its schema.
 */
export const handlers = {
  ...liveHandlers,
  ...appHandlers,
  ...analyticsHandlers,
  ...workspaceHandlers,
  ...reportHandlers,
  ...intelligenceHandlers,
  ...llmHandlers,
} satisfies HandlersFor<Contract>;
