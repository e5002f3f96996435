import OpenAI from 'openai';
import { z } from 'zod';
import { processEnv, readLlmEnv, type RawEnv } from '../config.js';

/**
 * Any OpenAI-compatible server through the official `openai` client: OpenAI itself (OPENAI_API_KEY), or a local or
 * self-hosted server (OPENAI_BASE_URL, key optional). The client retries 408/409/429/5xx and timeouts with
 * exponential backoff and honours `retry-after` / `retry-after-ms`; this module adds the schema check and the
 * retry of malformed answers.
 */
export interface LlmConfig {
  apiKey: string;
  baseURL: string | undefined;
  model: string;
  embeddingsModel: string | undefined;
  /** USD per million tokens; null when the price of the model is unknown. */
  price: { input: number; output: number } | null;
  timeoutMs: number;
  maxRetries: number;
  concurrency: number;
}

/** List prices (USD per 1M tokens) of common models; others: set UIS_PRICE_INPUT / UIS_PRICE_OUTPUT. */
const PRICES: Record<string, { input: number; output: number }> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
};

/** The LLM configuration from the environment, or null when none is configured (the local analyzer runs). */
export function readLlmConfig(env: RawEnv = processEnv()): LlmConfig | null {
  const e = readLlmEnv(env);
  if (!e.OPENAI_API_KEY && !e.OPENAI_BASE_URL) return null;
  const model = e.UIS_MODEL ?? 'gpt-4o-mini';
  const known = PRICES[model];
  const price = e.UIS_PRICE_INPUT !== undefined && e.UIS_PRICE_OUTPUT !== undefined ? { input: e.UIS_PRICE_INPUT, output: e.UIS_PRICE_OUTPUT } : (known ?? null);
  return {
    // Local servers accept any key; the client insists on one.
    apiKey: e.OPENAI_API_KEY ?? 'not-needed',
    baseURL: e.OPENAI_BASE_URL,
    model,
    embeddingsModel: e.UIS_EMBEDDINGS_MODEL,
    price,
    timeoutMs: e.UIS_LLM_TIMEOUT_MS ?? 60_000,
    maxRetries: e.UIS_LLM_MAX_RETRIES ?? 4,
    concurrency: e.UIS_AI_CONCURRENCY ?? 4,
  };
}

export function createLlmClient(config: LlmConfig): OpenAI {
  return new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL, timeout: config.timeoutMs, maxRetries: config.maxRetries });
}

/** About four characters per token for English: good enough for an estimate shown before a run. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function costUsd(price: LlmConfig['price'], inputTokens: number, outputTokens: number): number | null {
  if (!price) return null;
  return (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
}

/** An error's message without anything that looks like a key (the client's messages can echo request details). */
export function safeErrorMessage(err: unknown): string {
  const e = err as { status?: number; message?: string; name?: string };
  const base = e?.status ? `HTTP ${e.status}: ${e.message ?? ''}` : (e?.message ?? String(err));
  return base.replace(/\b(sk-[A-Za-z0-9_-]{8,}|Bearer\s+\S+)/g, '[redacted]').slice(0, 500);
}

export interface JsonCallResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  attempts: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * One chat completion whose answer must be JSON matching `schema`. A malformed or off-schema answer is retried
 * (`attempts` in all); transport errors were already retried by the client. Never throws for a bad answer: the
 * caller records the failure with its reason.
 */
export async function chatJson<T>(
  client: OpenAI,
  config: LlmConfig,
  messages: OpenAI.Chat.ChatCompletionMessageParam[],
  schema: z.ZodType<T>,
  opts: { signal?: AbortSignal; attempts?: number; schemaName?: string } = {},
): Promise<JsonCallResult<T>> {
  const attempts = opts.attempts ?? 2;
  const result: JsonCallResult<T> = { ok: false, attempts: 0, requests: 0, inputTokens: 0, outputTokens: 0 };
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  let conversation = messages;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result.attempts = attempt;
    let content: string | null | undefined;
    try {
      result.requests++;
      const completion = await client.chat.completions.create(
        {
          model: config.model,
          messages: conversation,
          temperature: 0,
          response_format: { type: 'json_schema', json_schema: { name: opts.schemaName ?? 'answer', schema: jsonSchema, strict: false } },
        },
        { signal: opts.signal },
      );
      result.inputTokens += completion.usage?.prompt_tokens ?? 0;
      result.outputTokens += completion.usage?.completion_tokens ?? 0;
      content = completion.choices[0]?.message?.content;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      result.error = safeErrorMessage(err);
      return result;
    }
    let problem: string;
    try {
      const parsed = schema.safeParse(JSON.parse(stripFences(content ?? '')));
      if (parsed.success) return { ...result, ok: true, value: parsed.data, error: undefined };
      const issue = parsed.error.issues[0];
      problem = `answer does not match the schema: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    } catch {
      problem = `answer is not JSON: ${JSON.stringify((content ?? '').slice(0, 80))}`;
    }
    result.error = problem;
    // Tell the model what was wrong; the next attempt usually fixes it.
    conversation = [...messages, { role: 'assistant', content: content ?? '' }, { role: 'user', content: `That was invalid (${problem}). Answer again with JSON only.` }];
  }
  return result;
}

function stripFences(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return m ? m[1] : text;
}
