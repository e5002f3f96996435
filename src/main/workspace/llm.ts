import { performance } from 'node:perf_hooks';
import { processEnv } from '../config.js';
import type { EffectiveLlm, LlmSettingsChange, LlmTestResult } from '../../shared/metrics-workspace.js';
import { redactConnectionString, scrubSecrets } from '../connection-string.js';
import { createLlmClient, readLlmConfig, safeErrorMessage, type LlmConfig } from '../llm/client.js';
import type { WorkspaceStore } from './store.js';

/**
 * THE LLM configuration of a workspace, for every part that calls an LLM (Intelligence, its clusters' names, Ask,
 * report narratives, the CLI): what the workspace saved in Settings → AI, over the environment's OPENAI_BASE_URL /
 * OPENAI_API_KEY / UIS_MODEL (and the other UIS_* knobs, which stay environment-only), over the built-in defaults.
 *
 * A key goes only to the server it was given for: the environment's OPENAI_API_KEY is not sent to a base URL the
 * workspace set (a workspace pointing at another server sets its own key, or none for a local server).
 */
export interface ResolvedLlm {
  workspace: string;
  /** null: no LLM (the local analyzer runs, Ask explains where to set one up). */
  config: LlmConfig | null;
  /** What may be shown: never the key, the base URL redacted. */
  effective: EffectiveLlm;
}

export function resolveLlm(
  store: WorkspaceStore,
  name?: string,
  opts: { env?: NodeJS.ProcessEnv; override?: LlmSettingsChange } = {},
): ResolvedLlm {
  const env = opts.env ?? processEnv();
  const ws = name ? store.get(name) : store.getActive();
  const secrets = store.secretsOf(ws.name);
  const pick = (over: string | null | undefined, saved: string | null): string | null => (over === undefined ? saved : over);
  const saved = {
    baseUrl: pick(opts.override?.baseUrl, secrets.llmBaseUrl),
    model: pick(opts.override?.model, ws.llm.model),
    apiKey: pick(opts.override?.apiKey, secrets.llmApiKey),
  };
  const envValue = (k: string) => (env[k] !== undefined && env[k] !== '' ? env[k] : null);
  const baseUrl = saved.baseUrl ?? envValue('OPENAI_BASE_URL');
  const baseFrom = saved.baseUrl ? 'workspace' : baseUrl ? 'environment' : 'default';
  // The environment's key belongs to the environment's server (or OpenAI's): not sent to a URL the workspace chose.
  const envKey = baseFrom === 'workspace' && saved.baseUrl !== envValue('OPENAI_BASE_URL') ? null : envValue('OPENAI_API_KEY');
  const apiKey = saved.apiKey ?? envKey;
  const model = saved.model ?? envValue('UIS_MODEL');
  const merged: NodeJS.ProcessEnv = { ...env, OPENAI_BASE_URL: baseUrl ?? undefined, OPENAI_API_KEY: apiKey ?? undefined, UIS_MODEL: model ?? undefined };
  const config = readLlmConfig(merged);
  return {
    workspace: ws.name,
    config,
    effective: {
      configured: config !== null,
      baseUrl: baseUrl ? redactConnectionString(baseUrl) : null,
      model: config?.model ?? model ?? 'gpt-4o-mini',
      hasApiKey: apiKey !== null,
      from: {
        baseUrl: baseFrom,
        model: saved.model ? 'workspace' : model ? 'environment' : 'default',
        apiKey: saved.apiKey ? 'workspace' : apiKey ? 'environment' : 'default',
      },
    },
  };
}

/** The LLM configuration of a workspace (the active one without a name), or null when none is configured. */
export function workspaceLlmConfig(store: WorkspaceStore, name?: string, env?: NodeJS.ProcessEnv): LlmConfig | null {
  return resolveLlm(store, name, { env }).config;
}

const TEST_TIMEOUT_MS = 20_000;

/**
 * One tiny request (a one-token chat completion, no retry) that says what answered: the model the server reported,
 * the latency and the host; or what failed, naming the host and the HTTP status, never the key.
 */
export async function testLlm(config: LlmConfig): Promise<LlmTestResult> {
  const base = config.baseURL ?? 'https://api.openai.com/v1';
  let host: string;
  try {
    host = new URL(base).host;
  } catch {
    host = redactConnectionString(base);
  }
  const client = createLlmClient({ ...config, maxRetries: 0, timeoutMs: Math.min(config.timeoutMs, TEST_TIMEOUT_MS) });
  const scrub = (text: string) => scrubSecrets(text, [config.baseURL]).split(config.apiKey).join('[redacted]');
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const messages = [{ role: 'user' as const, content: 'Reply with OK.' }];
  try {
    let completion;
    try {
      completion = await client.chat.completions.create({ model: config.model, messages, max_tokens: 1, temperature: 0 });
    } catch (err) {
      // Newer OpenAI models refuse max_tokens and ask for max_completion_tokens.
      if ((err as { status?: number }).status !== 400 || !/max_completion_tokens/.test(String((err as Error).message))) throw err;
      completion = await client.chat.completions.create({ model: config.model, messages, max_completion_tokens: 1 });
    }
    const latencyMs = ms();
    const model = typeof completion.model === 'string' && completion.model ? completion.model : null;
    return {
      ok: true,
      model,
      requestedModel: config.model,
      latencyMs,
      host,
      message: `${model ?? config.model} answered from ${host} in ${latencyMs} ms`,
    };
  } catch (err) {
    const latencyMs = ms();
    const e = err as { status?: number; name?: string; message?: string };
    let why: string;
    if (e.status === 401 || e.status === 403) why = `${host} refused the API key (HTTP ${e.status})`;
    else if (e.status === 404) why = `${host} has no model "${config.model}" or no chat completions endpoint at this base URL (HTTP 404)`;
    else if (e.status) why = `${host} answered HTTP ${e.status}: ${safeErrorMessage(err).replace(/^HTTP \d+: /, '')}`;
    else if (e.name === 'APIConnectionTimeoutError') why = `no answer from ${host} within ${Math.round(Math.min(config.timeoutMs, TEST_TIMEOUT_MS) / 1000)} s`;
    else {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      why = `could not reach ${host}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`;
    }
    return { ok: false, model: null, requestedModel: config.model, latencyMs, host, message: scrub(why).slice(0, 500) };
  }
}
