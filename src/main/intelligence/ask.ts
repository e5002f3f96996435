import type OpenAI from 'openai';
import { z } from 'zod';
import type { AskResult, AskQuery } from '../../shared/intelligence.js';
import { redact, redactDeep } from '../../shared/redact.js';
import { readEnv } from '../config.js';
import { DEFAULT_SQL_CAPS, type SqlCaps } from './ask-sql.js';
import { AskSqlBox } from './ask-sql-host.js';
import { createLlmClient, safeErrorMessage, type LlmConfig } from '../llm/client.js';

/**
 * Ask: a founder's question answered by the LLM through read-only SQL on the workspace snapshot. The SQL runs in the
 * Ask box, a process of its own (ask-sql-host.ts) killed when a statement passes the wall-clock limit or the Ask is
 * cancelled; there only single read-only SELECT/WITH statements over the tables shown to the model run, with rows,
 * bytes and values capped (ask-sql.ts). Every number in the final answer is checked against the query results
 * (numbers that appear nowhere are listed and the answer is marked unverified). Data sent to the LLM (the question
 * and the result rows) is redacted first.
 */
/** Where an LLM is set up: the one place in the app, the environment as the alternative. */
export const LLM_SETUP_HINT =
  'set it up in Settings → AI (base URL, model, API key) for this workspace, or set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (any OpenAI-compatible server) and UIS_MODEL in the environment';
export const ASK_NOT_CONFIGURED = `Ask needs an LLM: ${LLM_SETUP_HINT}.`;

const RunSqlArgs = z.object({ sql: z.string().min(1).max(10_000) });

export interface AskOptions {
  snapshotPath: string;
  question: string;
  llm: LlmConfig | null;
  client?: OpenAI;
  /** Cancels the Ask: the LLM request is aborted and the box killed; ask() then rejects. */
  signal?: AbortSignal;
  /** Caps on each result (rows, bytes, characters per value). */
  caps?: Partial<SqlCaps>;
  /** Wall-clock limit of one statement (default UIS_ASK_QUERY_TIMEOUT_MS, 10 s). */
  queryTimeoutMs?: number;
  maxRounds?: number;
  progress?: (message: string) => void;
}

/** Numbers as written in prose: 1,234 / 12.5 / 53% / -3. Dates and times are skipped (checked as text elsewhere). */
function numbersIn(text: string): string[] {
  const withoutDates = text.replace(/\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+Z?)?\b/g, ' ');
  return withoutDates.match(/-?\d[\d,]*(?:\.\d+)?%?/g)?.map((n) => n.replace(/,(?=\d{3}\b)/g, '')) ?? [];
}

/**
 * Numbers of the answer that do not come from the results (nor the question or the SQL). A figure matches a result
 * value when equal after rounding to the figure's own decimals, also as a percentage of a ratio (53% ↔ 0.5312).
 */
export function unsupportedNumbers(answer: string, queries: AskQuery[], question: string): string[] {
  const values: number[] = [];
  for (const q of queries) {
    values.push(q.rows.length);
    for (const row of q.rows) for (const cell of row) {
      if (typeof cell === 'number') values.push(cell);
      else if (typeof cell === 'string') for (const n of numbersIn(cell)) values.push(Number(n.replace('%', '')));
    }
    for (const n of numbersIn(q.sql)) values.push(Number(n.replace('%', '')));
  }
  for (const n of numbersIn(question)) values.push(Number(n.replace('%', '')));
  const out: string[] = [];
  for (const raw of numbersIn(answer)) {
    const x = Number(raw.replace('%', ''));
    if (!Number.isFinite(x)) continue;
    const decimals = raw.includes('.') ? raw.replace('%', '').split('.')[1].length : 0;
    const tolerance = 0.5 * Math.pow(10, -decimals) + 1e-9;
    const ok = values.some((v) => Math.abs(v - x) <= tolerance || Math.abs(v * 100 - x) <= tolerance || (x >= 0 && x === Math.round(Math.abs(v))));
    if (!ok) out.push(raw);
  }
  return [...new Set(out)];
}

function systemPrompt(schema: string): string {
  return [
    'You answer a startup founder\'s question about their product\'s users by querying a SQLite database with the run_sql tool.',
    'Rules: run as many SELECT queries as you need; use ONLY numbers that appear in query results; never invent or estimate numbers;',
    'if the data cannot answer, say so. Timestamps are UTC ISO 8601 strings; *_day columns are YYYY-MM-DD; events.success is 1/0.',
    'Keep the answer short (a few sentences), plain text.',
    'Tables:',
    schema,
  ].join('\n');
}

export async function ask(opts: AskOptions): Promise<AskResult> {
  const base: AskResult = { question: opts.question, configured: !!opts.llm, answer: null, message: null, queries: [], unsupportedNumbers: [], verified: false, sent: [] };
  if (!opts.llm) return { ...base, message: ASK_NOT_CONFIGURED };
  const config = opts.llm;
  const client = opts.client ?? createLlmClient(config);
  const caps: SqlCaps = { ...DEFAULT_SQL_CAPS, ...opts.caps };
  const timeoutMs = opts.queryTimeoutMs ?? readEnv().UIS_ASK_QUERY_TIMEOUT_MS;
  const progress = opts.progress ?? (() => {});
  const box = await AskSqlBox.open(opts.snapshotPath, { timeoutMs, signal: opts.signal });
  try {
    const question = redact(opts.question).text;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: systemPrompt(box.schema) },
      { role: 'user', content: question },
    ];
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'run_sql',
          description: `Run one read-only SQLite SELECT on the snapshot; returns columns and up to ${caps.rows} rows (${Math.round(caps.bytes / 1000)} kB, long values cut); stopped after ${timeoutMs / 1000} s.`,
          parameters: { type: 'object', properties: { sql: { type: 'string' } }, required: ['sql'], additionalProperties: false },
        },
      },
    ];
    let corrected = false;
    for (let round = 0; round < (opts.maxRounds ?? 8); round++) {
      progress('Waiting for the LLM…');
      const completion = await client.chat.completions.create({ model: config.model, messages, tools, temperature: 0 }, { signal: opts.signal });
      const message = completion.choices[0]?.message;
      if (!message) throw new Error('the LLM returned no message');
      const calls = (message.tool_calls ?? []).filter((c): c is OpenAI.Chat.ChatCompletionMessageFunctionToolCall => c.type === 'function');
      if (calls.length) {
        messages.push({ role: 'assistant', content: message.content ?? null, tool_calls: calls });
        for (const call of calls) {
          let result: AskQuery;
          let args: unknown = null;
          try {
            args = JSON.parse(call.function.arguments || '{}');
          } catch {
            // handled below as invalid arguments
          }
          const parsed = call.function.name === 'run_sql' ? RunSqlArgs.safeParse(args) : null;
          if (!parsed?.success) {
            result = { sql: String((args as { sql?: unknown })?.sql ?? '').slice(0, 10_000), columns: [], rows: [], truncated: false, error: `invalid call: expected run_sql({sql: string})`, timedOut: false };
          } else {
            progress(`Running query ${base.queries.length + 1}…`);
            result = await box.query(parsed.data.sql, caps);
            if (result.timedOut) progress(`Query ${base.queries.length + 1} stopped at the ${timeoutMs / 1000} s limit`);
          }
          base.queries.push(result);
          // Rows may hold e-mails and other personal data: redacted before they leave. Already capped in the box.
          const forModel = redactDeep({ columns: result.columns, rows: result.rows, truncated: result.truncated, error: result.error });
          messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(forModel) });
        }
        continue;
      }
      const answer = message.content?.trim() ?? '';
      const unsupported = unsupportedNumbers(answer, base.queries, opts.question);
      if (unsupported.length && !corrected) {
        // One chance to correct: tell the model which figures are not in its results.
        corrected = true;
        messages.push({ role: 'assistant', content: answer });
        messages.push({ role: 'user', content: `These numbers do not appear in your query results: ${unsupported.join(', ')}. Answer again using only numbers from the results (run more queries if needed).` });
        continue;
      }
      base.sent = messages.map((m) => ({ role: m.role, content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? (m as { tool_calls?: unknown }).tool_calls ?? null) }));
      return { ...base, answer, unsupportedNumbers: unsupported, verified: unsupported.length === 0 && base.queries.some((q) => !q.error) };
    }
    return { ...base, message: 'The LLM did not reach an answer within the allowed number of queries.' };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ...base, message: `The LLM request failed: ${safeErrorMessage(err)}` };
  } finally {
    box.close();
  }
}
