/**
 * The PMF verdict vocabulary: one word per signal verdict and per overall verdict, and the rule that turns the eleven
 * checks into the overall verdict. Every surface (Overview, Credits, the report in every format, the digest, the CLI)
 * prints these words through pmfVerdictWord / pmfOverall, so a check reads the same everywhere.
 * Pure and zod-free: the workbench's pages import it.
 */

export const PMF_GROUPS = ['strong', 'weak', 'pivot'] as const;
export type PmfGroup = (typeof PMF_GROUPS)[number];
export const PMF_VERDICTS = ['strong', 'weak', 'pivot', 'not_enough_data', 'not_seen'] as const;
/** A check's verdict: its group's name when the signal is present, not_seen when measured and absent. */
export type PmfVerdict = (typeof PMF_VERDICTS)[number];

/**
 * A verdict needs data. A check measured on fewer than PMF_MIN_SAMPLE users (or conversations, for the
 * conversation checks) says "Not enough data" (the default of PmfThresholds.minSample).
 */
export const PMF_MIN_SAMPLE = 10;
/**
 * The overall verdict needs more than this share of the checks measured (6 of 11); below it, "Not enough data".
 */
export const PMF_MIN_MEASURED_SHARE = 0.5;

export const PMF_VERDICT_WORDS: Record<PmfVerdict, string> = {
  strong: 'Strong signal',
  weak: 'Weak signal',
  pivot: 'Pivot signal',
  not_seen: 'Not seen',
  not_enough_data: 'Not enough data',
};

export type PmfTone = 'good' | 'warn' | 'bad' | 'neutral' | 'muted';
const VERDICT_TONES: Record<PmfVerdict, PmfTone> = { strong: 'good', weak: 'warn', pivot: 'bad', not_seen: 'neutral', not_enough_data: 'muted' };

/** The word every surface prints for a check's verdict. */
export function pmfVerdictWord(v: PmfVerdict): string {
  return PMF_VERDICT_WORDS[v];
}

/** Colour family of a verdict (good news green, weak amber, pivot red, not seen grey, no data faint). */
export function pmfVerdictTone(v: PmfVerdict): PmfTone {
  return VERDICT_TONES[v];
}

export const PMF_OVERALL_VERDICTS = ['fit', 'interest', 'pivot', 'not_enough_data'] as const;
export type PmfOverallVerdict = (typeof PMF_OVERALL_VERDICTS)[number];
export const PMF_OVERALL_WORDS: Record<PmfOverallVerdict, string> = {
  fit: 'Signs of product-market fit',
  interest: 'Interest, not yet a habit',
  pivot: 'Users are pulling toward something else',
  not_enough_data: 'Not enough data',
};
const OVERALL_TONES: Record<PmfOverallVerdict, PmfTone> = { fit: 'good', interest: 'warn', pivot: 'bad', not_enough_data: 'muted' };

export interface PmfOverall {
  verdict: PmfOverallVerdict;
  word: string;
  tone: PmfTone;
  /** Checks whose signal is present, per group. */
  strong: number;
  weak: number;
  pivot: number;
  /** Checks with enough data, of all checks. */
  measured: number;
  checks: number;
  /** One line: "2 strong · 1 weak · 0 pivot signals present, of 11 checks (3 without enough data)". */
  summary: string;
}

/**
 * The overall verdict from the checks: not enough data unless more than half of them were measured; then signs of
 * fit when at least 2 strong signals are present and they outnumber the weak ones; users pulling elsewhere when at
 * least 2 pivot signals are present; else interest, not yet a habit.
 */
export function pmfOverall(signals: ReadonlyArray<{ group: PmfGroup; verdict: PmfVerdict }>): PmfOverall {
  const present = (g: PmfGroup) => signals.filter((s) => s.group === g && s.verdict === g).length;
  const strong = present('strong');
  const weak = present('weak');
  const pivot = present('pivot');
  const checks = signals.length;
  const measured = signals.filter((s) => s.verdict !== 'not_enough_data').length;
  const verdict: PmfOverallVerdict =
    checks === 0 || measured <= checks * PMF_MIN_MEASURED_SHARE ? 'not_enough_data' : strong >= 2 && strong > weak ? 'fit' : pivot >= 2 ? 'pivot' : 'interest';
  const missing = checks - measured;
  const summary = `${strong} strong · ${weak} weak · ${pivot} pivot signals present, of ${checks} checks${missing ? ` (${missing} without enough data)` : ''}`;
  return { verdict, word: PMF_OVERALL_WORDS[verdict], tone: OVERALL_TONES[verdict], strong, weak, pivot, measured, checks, summary };
}

/**
 * The badge of a tile that shows the number behind a PMF check (e.g. "Credits exhausted" and credit_exhaustion): the
 * check's own verdict word, so tile and scorecard never disagree. Null when the check is absent.
 */
export function pmfBadge(signals: ReadonlyArray<{ id: string; verdict: PmfVerdict }>, id: string): { word: string; tone: PmfTone; verdict: PmfVerdict } | null {
  const s = signals.find((x) => x.id === id);
  return s ? { word: pmfVerdictWord(s.verdict), tone: pmfVerdictTone(s.verdict), verdict: s.verdict } : null;
}

/** What a report, the digest and `uis analytics --json` carry of the overall verdict. */
export interface PmfOverallBrief {
  verdict: PmfOverallVerdict;
  word: string;
  summary: string;
}
export function pmfOverallBrief(signals: ReadonlyArray<{ group: PmfGroup; verdict: PmfVerdict }>): PmfOverallBrief {
  const { verdict, word, summary } = pmfOverall(signals);
  return { verdict, word, summary };
}
