import { pmfVerdictWord } from '../../shared/pmf.js';
import { redactConnectionString } from '../connection-string.js';
import { createLlmClient, type LlmConfig } from '../llm/client.js';
import { redactDeep } from '../../shared/redact.js';
import { formatChange, type ReportData } from '../../shared/report.js';
import { checkNarrativeNumbers } from './narrative-check.js';

export interface NarrativeResult {
  narrative: { text: string; model: string } | null;
  /** Why there is no narrative (not configured, call failed, invented numbers). */
  note: string | null;
}

/** The metrics the LLM sees: the computed numbers only (no user ids, e-mails or raw text beyond ranked labels). */
export function narrativeInput(d: ReportData) {
  return {
    period: d.period,
    previous_period: d.previousPeriod,
    key_numbers: d.kpis.map((k) => ({ metric: k.label, unit: k.unit, value: k.value, previous: k.previous, change: formatChange(k.value, k.previous, k.unit) })),
    // Verdicts in the report's own words, so a narrative that quotes one says what the scorecard says.
    pmf_verdict: d.pmfOverall.word,
    pmf_scorecard: d.pmf.map((p) => ({ signal: p.label, value: p.value, unit: p.unit, threshold: p.threshold, verdict: pmfVerdictWord(p.verdict) })),
    activation_journey: d.journey.map((s) => ({ step: s.step, users: s.users, conversion_from_previous: s.fromPrevious })),
    retention: { day_1: d.retention.day1, day_7: d.retention.day7, by_week: d.retention.curve.map((p) => ({ week: p.week, rate: p.rate })) },
    top_use_cases: d.useCases.slice(0, 5).map((u) => ({ use_case: u.useCase, share: u.share, users: u.users })),
    credit_exhaustion: { exhausted_users: d.creditExhaustion.exhaustedUsers, rate: d.creditExhaustion.rate },
    top_blockers: d.blockers.slice(0, 5).map((b) => ({ blocker: b.text, count: b.count })),
    top_feature_requests: d.featureRequests.slice(0, 5).map((b) => ({ request: b.text, count: b.count })),
  };
}

const SYSTEM_PROMPT = [
  'You write the opening paragraph of a startup founder\'s monthly investor update.',
  'Use ONLY the numbers present in the JSON you are given, written exactly as given or rounded (rates may be written as percentages).',
  'Do not compute new numbers (no sums, differences or ratios of your own), do not number lists, do not invent facts.',
  'Plain prose, 3 to 5 sentences, no headings, no markdown.',
].join(' ');

/**
 * Asks an OpenAI-compatible server for a short narrative and keeps it only if every number in it is in the metrics.
 * Never throws: a report goes out without a narrative rather than not at all.
 */
export async function writeNarrative(d: ReportData, llm: LlmConfig | null, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<NarrativeResult> {
  // llm: the workspace's LLM (resolveLlm: Settings → AI over the environment defaults).
  if (!llm) return { narrative: null, note: 'No narrative: no LLM is set up (Settings → AI, or OPENAI_API_KEY / OPENAI_BASE_URL in the environment).' };
  // Blocker and request labels come from users' words: redacted like every other text that leaves the machine.
  const input = redactDeep(narrativeInput(d));
  const client = createLlmClient({ ...llm, timeoutMs: opts.timeoutMs ?? llm.timeoutMs, maxRetries: 1 });
  let text: string;
  try {
    const res = await client.chat.completions.create(
      {
        model: llm.model,
        temperature: 0.2,
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: JSON.stringify(input) },
        ],
      },
      { signal: opts.signal },
    );
    text = (res.choices[0]?.message?.content ?? '').trim();
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    // The API key never appears in openai's error messages; URLs with credentials are stripped anyway.
    return { narrative: null, note: `No narrative: the model call failed (${redactConnectionString((err as Error).message)}).` };
  }
  if (!text) return { narrative: null, note: 'No narrative: the model returned an empty answer.' };
  const check = checkNarrativeNumbers(text, input);
  if (!check.ok) {
    return { narrative: null, note: `Narrative rejected: it states numbers that are not in the metrics (${check.invented.join(', ')}); the report goes out without it.` };
  }
  return { narrative: { text, model: llm.model }, note: null };
}
