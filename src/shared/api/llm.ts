import { z } from 'zod';
import { defineChannels } from '../contract.js';
import { EffectiveLlm, LlmSettingsChange, LlmTestResult, WorkspaceName, WorkspaceSummary } from '../metrics-workspace.js';

/**
 * Settings → AI: one LLM configuration per workspace (base URL, model, API key), over the environment's OPENAI_* /
 * UIS_MODEL defaults, used by Intelligence, Ask, report narratives and the CLI. The key goes in and never comes out
 * (hasApiKey only).
 */
export const llmChannels = defineChannels({
  'llm.get': {
    description: 'The LLM configuration a workspace uses (the active one by default): what it saved, and what is in effect with the environment defaults. Never the key.',
    input: z.object({ name: WorkspaceName.optional() }).strict(),
    output: z.object({ workspace: WorkspaceSummary, effective: EffectiveLlm }),
  },
  'workspace.setLlm': {
    description: 'Set or clear the LLM settings of a workspace (the active one by default): a value sets a field, null clears it, absent keeps it. The key is sealed with the OS keychain in the desktop app.',
    input: LlmSettingsChange.extend({ name: WorkspaceName.optional() }).strict(),
    output: z.object({ workspace: WorkspaceSummary, effective: EffectiveLlm }),
  },
  'llm.test': {
    description: 'One tiny request (a one-token chat completion) to the LLM a workspace would use, optionally with unsaved fields over its settings: which model answered, how fast, from which host; or what failed.',
    input: LlmSettingsChange.extend({ name: WorkspaceName.optional() }).strict(),
    output: LlmTestResult,
  },
});
