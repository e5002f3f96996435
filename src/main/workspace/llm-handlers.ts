import type { llmChannels } from '../../shared/api/llm.js';
import { testLlm } from './llm.js';
import type { HandlersFor } from '../core/types.js';
import { asCoreError, workspaceLlm, workspaceStore } from './session.js';

/** Settings → AI (src/shared/api/llm.ts): the key goes in, only hasApiKey comes out. */
export const llmHandlers: HandlersFor<typeof llmChannels> = {
  'llm.get': async ({ name }, ctx) => {
    const store = await workspaceStore(ctx);
    const resolved = await workspaceLlm(ctx, name);
    return { workspace: store.get(resolved.workspace), effective: resolved.effective };
  },

  'workspace.setLlm': async ({ name, ...change }, ctx) => {
    const store = await workspaceStore(ctx);
    let workspace;
    try {
      workspace = store.setLlm(name ?? store.getActive().name, change);
    } catch (err) {
      throw asCoreError(err);
    }
    const { effective } = await workspaceLlm(ctx, workspace.name);
    if (change.apiKey) ctx.log(`settings: LLM API key saved for workspace ${workspace.name} (${ctx.secretStore.osBacked ? 'OS keychain' : 'key file'})`);
    return { workspace, effective };
  },

  'llm.test': async ({ name, ...override }, ctx) => {
    const { config, effective } = await workspaceLlm(ctx, name, override);
    if (!config) {
      return {
        ok: false,
        model: null,
        requestedModel: effective.model,
        latencyMs: 0,
        host: '',
        message: 'No LLM configured: set a base URL (any OpenAI-compatible server) or an API key (OpenAI) in Settings → AI, or OPENAI_BASE_URL / OPENAI_API_KEY in the environment.',
      };
    }
    return testLlm(config);
  },
};
