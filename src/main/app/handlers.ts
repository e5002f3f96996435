import type { Contract } from '../../shared/api/index.js';
import { analyticsHandlers } from '../analytics/handlers.js';
import type { HandlersFor } from '../core/types.js';
import { digestHandlers } from '../digest/handlers.js';
import { intelligenceHandlers } from '../intelligence/handlers.js';
import { liveHandlers } from '../live/handlers.js';
import { reportHandlers } from '../reports/handlers.js';
import { workspaceHandlers } from '../workspace/handlers.js';
import { llmHandlers } from '../workspace/llm-handlers.js';
import { appHandlers } from './app-handlers.js';

/**
 * The composition root: every channel's handler, merged, one line per feature (src/main/<feature>/handlers.ts).
 * `satisfies` makes the type checker refuse a contract channel without a handler, or a handler whose output does not
 * fit its schema. No feature imports this folder (lint enforces it).
 */
export const handlers = {
  ...liveHandlers,
  ...appHandlers,
  ...analyticsHandlers,
  ...workspaceHandlers,
  ...reportHandlers,
  ...digestHandlers,
  ...intelligenceHandlers,
  ...llmHandlers,
} satisfies HandlersFor<Contract>;
