import type { ConversationAnalysis, ConversationInput, UseCaseRule } from '../../shared/intelligence.js';
import { DEFAULT_USE_CASE_RULES } from '../../shared/intelligence.js';
import { CREDIT_EXHAUSTION_STATUS, isCreditExhaustionEvent } from '../../shared/metric-definitions.js';

/**
 * The local analyzer: the seed's per-conversation JSON from rules alone (no key, no network, deterministic), so the
 * demo workspace and any workspace without an LLM still get use cases, blockers, feature requests and satisfaction.
 * Every rule is listed here so a founder can read why a conversation got its score (see docs/intelligence.md).
 */

/** Phrases that introduce a request for something the product may not do; the captured tail is the request. */
const FEATURE_REQUEST_PATTERNS: RegExp[] = [
  /\bi wish (?:i could|you could|there was|there were|it could|it would|you would|you had)\s+(.+)/i,
  /\bi wish\s+(.+)/i,
  /\bis there (?:a|any) way to\s+(.+)/i,
  /\b(?:please|pls) add\s+(.+)/i,
  /\bcan you (?:please )?((?:add|support|allow|enable|integrate|include|offer|remember|schedule|connect|sync|let me|export)\b.+)/i,
  /\bcan you make (.+\b(?:longer|bigger|higher resolution|faster) than\b.+)/i,
  /\bcould you (?:please )?((?:add|support|allow|enable|integrate|include|offer|let me|export)\b.+)/i,
  /\bit would be (?:great|nice|awesome|cool) (?:if|to)\s+(.+)/i,
  /\b(?:do|does) (?:you|it) support\s+(.+)/i,
  /\bwhy can(?:no|')t i\s+(.+)/i,
  /\bi(?:'d| would) love (?:to be able to|a way to|an option to)\s+(.+)/i,
];

const PRAISE = /\b(love (?:it|this)|i love|amazing|awesome|exactly what i needed|perfect|great job|fantastic|incredible|wow|brilliant)\b/i;
const THANKS = /\b(thanks|thank you|thx|cheers)\b/i;
const SHARING = /\b(shared (?:this|it)|sent it to|invited|showed (?:it|this) to)\b/i;
const FRUSTRATION = /\b(doesn'?t work|does not work|not working|stuck|useless|frustrat\w*|annoying|terrible|broken|keeps failing|fail(?:ed|s|ing)? again|won'?t (?:render|load|work|generate)|waste of|hate|give up|gave up|why did it fail)\b/i;
const REGENERATE = /\b(try again|try a different|again|redo|regenerate|another version|one more time|not what i (?:asked|wanted))\b/i;
/**
 * What users SAY, labelled as such: never the event-derived "out of credits" (a conversation that hit the credit
 * limit, src/shared/metric-definitions.ts), which comes from the events alone.
 */
export const ASKED_ABOUT_PRICING = 'asked about pricing or credits';
const CREDIT_WORDS = /\b(out of credits|no credits|credits? (?:ran out|left|limit)|ran out of credits|upgrade|pricing|too expensive)\b/i;
const BLOCKER_WORDS: Array<[RegExp, string]> = [
  [/\bwon'?t render\b|\brender(?:ing)? (?:fails|failed|stuck)\b/i, 'said rendering fails'],
  [/\bkeeps failing\b|\bfail(?:ed|s)? again\b|\bwhy did it fail\b/i, 'said generation keeps failing'],
  [/\bdoesn'?t work\b|\bnot working\b|\bbroken\b/i, 'said it is not working'],
  [/\bstuck\b/i, 'said they are stuck'],
  [/\btoo slow\b|\btakes forever\b/i, 'said it is too slow'],
];
/** The event-derived blocker of running out (the conversation is a credit-exhaustion episode). */
export const OUT_OF_CREDITS = 'out of credits';
const SAID_LABELS = new Set([ASKED_ABOUT_PRICING, ...BLOCKER_WORDS.map(([, label]) => label)]);
/** A local analysis' blocker found in the words (not in the events). */
export function isTextFinding(label: string): boolean {
  return SAID_LABELS.has(label);
}

export interface LocalAnalysis extends ConversationAnalysis {
  /** The reasons behind the satisfaction score, for the "why" tooltip. */
  evidence: string[];
}

function userMessages(c: ConversationInput): string[] {
  return c.events.filter((e) => e.event_type === 'message' && (e.role ?? 'user') === 'user' && e.message).map((e) => e.message as string);
}

/** Normalised feature request text: the captured tail, trimmed of politeness and punctuation. */
export function cleanRequest(tail: string): string {
  return tail
    .replace(/[,;]?\s*(?:please|pls|thanks|thank you)[.!?]*$/i, '')
    .replace(/[?.!,;:]+$/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export function extractFeatureRequests(messages: string[]): string[] {
  const out = new Set<string>();
  for (const m of messages) {
    for (const pattern of FEATURE_REQUEST_PATTERNS) {
      const hit = pattern.exec(m);
      if (hit?.[1]) {
        const request = cleanRequest(hit[1]);
        if (request.length >= 3) out.add(request.slice(0, 200));
        break;
      }
    }
  }
  return [...out];
}

export function classifyUseCase(messages: string[], tools: string[], rules: UseCaseRule[] = DEFAULT_USE_CASE_RULES, fallback = 'other'): string {
  let best = fallback;
  let bestScore = 0;
  for (const rule of rules) {
    let score = 0;
    messages.forEach((m, i) => {
      const text = ` ${m.toLowerCase().replace(/[^a-z0-9' ]+/g, ' ')} `;
      // The first message says what the user came for: it counts double.
      for (const k of rule.keywords) if (text.includes(` ${k} `)) score += i === 0 ? 2 : 1;
    });
    for (const t of tools) if (rule.tools?.includes(t)) score += 0.5;
    if (score > bestScore) {
      bestScore = score;
      best = rule.label;
    }
  }
  return best;
}

export function analyzeConversationLocally(c: ConversationInput, rules: UseCaseRule[] = DEFAULT_USE_CASE_RULES): LocalAnalysis {
  const messages = userMessages(c);
  const tools = c.events.filter((e) => e.tool_name).map((e) => e.tool_name as string);
  const failures = c.events.filter((e) => e.success === false || e.event_type === 'error');
  const evidence: string[] = [];

  // From events: failed calls, and running out (one blocker per conversation, however many exhaustion events).
  const blockers = new Map<string, number>();
  for (const f of failures) {
    const key = isCreditExhaustionEvent(f.event_type, f.error_type, null) ? OUT_OF_CREDITS : `${f.tool_name ?? 'tool'} failed: ${f.error_type ?? 'error'}`;
    blockers.set(key, (blockers.get(key) ?? 0) + 1);
  }
  if (c.completion_status === CREDIT_EXHAUSTION_STATUS) blockers.set(OUT_OF_CREDITS, 1);
  // From words: what the user said, labelled as what it is, after the event-derived ones.
  const said = new Map<string, number>();
  if (messages.some((m) => CREDIT_WORDS.test(m))) said.set(ASKED_ABOUT_PRICING, 1);
  for (const m of messages) for (const [re, label] of BLOCKER_WORDS) if (re.test(m)) said.set(label, (said.get(label) ?? 0) + 1);
  const ranked = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);

  let score = 5;
  const add = (delta: number, why: string) => {
    score += delta;
    evidence.push(`${delta > 0 ? '+' : ''}${delta} ${why}`);
  };
  const praise = messages.filter((m) => PRAISE.test(m)).length;
  if (praise) add(Math.min(3, 2 * praise), `praise ×${praise}`);
  if (messages.some((m) => THANKS.test(m))) add(1, 'thanks');
  if (messages.some((m) => SHARING.test(m))) add(2, 'shared the result');
  const frustration = messages.filter((m) => FRUSTRATION.test(m)).length;
  if (frustration) add(-Math.min(4, 2 * frustration), `frustration ×${frustration}`);
  if (failures.length) add(-Math.min(3, failures.length), `${failures.length} failed tool call(s)`);
  const regenerations = messages.filter((m, i) => i > 0 && REGENERATE.test(m)).length;
  if (regenerations >= 2) add(-1, `${regenerations} regeneration requests`);
  if (c.completion_status === 'completed') add(1, 'completed');
  if (c.completion_status === 'abandoned') add(-2, 'abandoned');
  if (c.completion_status === 'blocked_by_credits') add(-1, 'blocked by credits');
  if (tools.length && !failures.length) add(1, 'tools succeeded');

  const first = messages[0] ?? c.events.find((e) => e.message)?.message ?? '(no message)';
  return {
    primary_intent: first.replace(/\s+/g, ' ').trim().slice(0, 200) || '(no message)',
    blockers: [...ranked(blockers), ...ranked(said)].slice(0, 20),
    feature_requests: extractFeatureRequests(messages).slice(0, 20),
    satisfaction_signal: Math.max(0, Math.min(10, Math.round(score))),
    use_case: classifyUseCase(messages, tools, rules),
    evidence,
  };
}
