import { z } from 'zod';
import { pmfVerdictWord, type PmfOverallBrief, type PmfVerdict } from './pmf.js';
import { dec, int, NONE, pct } from './format.js';

/**
 * The investor report as data: every format (HTML/PDF, Markdown, CSV zip) renders this one object, so the numbers in
 * each format are the same by construction. Built in src/main/reports/build.ts from the analytics engine.
 */

export const ReportFormat = z.enum(['pdf', 'md', 'csv', 'html']);
export type ReportFormat = z.infer<typeof ReportFormat>;

/** A calendar date (UTC), YYYY-MM-DD. */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-11-01')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'is not a real calendar date');

/** The period a report covers: since (inclusive) .. until (inclusive), whole UTC days. */
export const ReportPeriodInput = z
  .object({ since: IsoDate.optional(), until: IsoDate.optional() })
  .refine((p) => !p.since || !p.until || p.since <= p.until, { message: 'must not be after --until', path: ['since'] });

export const ReportRequest = z.object({
  format: ReportFormat,
  since: IsoDate.optional(),
  until: IsoDate.optional(),
  workspace: z.string().min(1).max(200).optional(),
  narrative: z.boolean().default(false),
});
export type ReportRequest = z.infer<typeof ReportRequest>;

/** A logo embedded in the report: an image data URL (never a remote URL: the PDF renders offline). */
export const LogoDataUrl = z
  .string()
  .max(800_000, 'is larger than 512 KB')
  .regex(/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/, 'must be a base64 data URL of a PNG, JPEG, GIF, WebP or SVG image');

export const ReportSettingsInput = z
  .object({
    companyName: z.string().trim().min(1, 'must not be empty').max(120).optional(),
    logoDataUrl: LogoDataUrl.nullable().optional(),
  })
  .strict();
export interface ReportSettings {
  companyName: string;
  logoDataUrl: string | null;
}

export type Unit = 'count' | 'percent' | 'minutes' | 'credits' | 'decimal';

export interface Kpi {
  key: string;
  label: string;
  /** For unit 'percent' this is a rate 0..1. */
  value: number | null;
  previous: number | null;
  unit: Unit;
}

/** A check's verdict: the same values (and, through pmfVerdictWord, the same words) as the dashboard's PMF signals. */
export type Verdict = PmfVerdict;

export interface PmfRow {
  key: string;
  label: string;
  /** 'strong' signals are good when met; 'weak'/'pivot' signals are bad when met. */
  kind: 'strong' | 'weak' | 'pivot';
  value: number | null;
  unit: Unit;
  /** Human form of the rule, e.g. "> 20%". */
  threshold: string;
  met: boolean | null;
  verdict: Verdict;
  previousVerdict?: Verdict;
  detail?: string;
}

export interface JourneyStep {
  step: string;
  users: number;
  /** Share of the previous step (first step: 1). */
  fromPrevious: number | null;
  /** Share of the first step. */
  ofFirst: number | null;
}

/** Retention by week since signup, all cohorts of the period pooled (complete weeks only). */
export interface RetentionPoint {
  week: number;
  rate: number | null;
  retained: number;
  eligible: number;
}

export interface CohortRow {
  cohort: string;
  size: number;
  /** Retention rate (0..1) per period offset so far; null where the period has not started yet. */
  cells: (number | null)[];
  /** Per cell: the week has started but not finished (shaded as open on screen and in the PDF). */
  open: boolean[];
}

export interface GrowthPoint {
  date: string;
  dau: number;
  /** Distinct users active in the 7 days ending on `date` (null when not computed). */
  wau: number | null;
  signups: number;
}

export interface UseCaseRow {
  useCase: string;
  conversations: number;
  users: number;
  /** Share of the period's conversations. */
  share: number;
}

export interface ExhaustedUser {
  userId: string;
  email: string | null;
  creditsUsed: number;
  exhaustionCount: number;
  lastActiveAt: string | null;
}

export interface RankedText {
  text: string;
  count: number;
  users: number | null;
}

export interface ReportData {
  title: string;
  company: { name: string; logoDataUrl: string | null };
  workspace: string;
  period: { since: string; until: string; days: number };
  previousPeriod: { since: string; until: string };
  generatedAt: string;
  kpis: Kpi[];
  /** False when the previous period has no events at all: the report says so once instead of per number. */
  previousHasData: boolean;
  /** The overall verdict Overview shows (pmfOverall). */
  pmfOverall: PmfOverallBrief;
  pmf: PmfRow[];
  journey: JourneyStep[];
  retention: { day1: number | null; day7: number | null; curve: RetentionPoint[]; cohorts: CohortRow[] };
  growth: GrowthPoint[];
  useCases: UseCaseRow[];
  creditExhaustion: { exhaustedUsers: number; /** Users in the segment (the rate's denominator). */ activeUsers: number; rate: number | null; users: ExhaustedUser[] };
  blockers: RankedText[];
  featureRequests: RankedText[];
  /** Where blockers and feature requests came from. */
  insightsSource: string;
  narrative: { text: string; model: string } | null;
  /** Why a narrative was asked for but left out (e.g. it invented a number). */
  narrativeNote: string | null;
}

/* ---------------- formatting: the one formatter set (src/shared/format.ts), so every format and the tests agree ---------------- */

export function formatValue(value: number | null | undefined, unit: Unit): string {
  if (value == null || Number.isNaN(value)) return NONE;
  switch (unit) {
    case 'percent':
      return pct(value);
    case 'minutes':
      return `${dec(value)} min`;
    case 'decimal':
      return dec(value);
    default:
      return int(value);
  }
}

/** "+12.5%" relative change for counts, "+3.1 pts" for rates; null when there is nothing to compare. */
export function formatChange(value: number | null, previous: number | null, unit: Unit): string | null {
  if (value == null || previous == null) return null;
  if (unit === 'percent') {
    const pts = (value - previous) * 100;
    return `${pts >= 0 ? '+' : '−'}${dec(Math.abs(pts))} pts`;
  }
  if (previous === 0) return value === 0 ? '±0%' : 'new';
  const rel = (value - previous) / previous;
  return `${rel >= 0 ? '+' : '−'}${pct(Math.abs(rel))}`;
}

/** "marketing_content" → "Marketing content" (raw keys stay in the CSV). */
export function humanizeKey(key: string): string {
  const s = key.replace(/[_-]+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : key;
}


/* ---------------- tables: the CSV files and the Markdown/HTML tables share these headers ---------------- */

export interface ReportTable {
  /** File name stem in the zip (stable). */
  name: string;
  title: string;
  headers: string[];
  rows: (string | number | null)[][];
}

const rate = (r: number | null): number | null => (r == null ? null : Math.round(r * 10000) / 10000);

/** Every table of the report with stable headers. Values are raw (rates 0..1) so CSV consumers can compute. */
export function reportTables(d: ReportData): ReportTable[] {
  const maxCells = Math.max(0, ...d.retention.cohorts.map((c) => c.cells.length));
  return [
    {
      name: 'summary',
      title: 'Executive summary',
      headers: ['metric', 'label', 'value', 'previous', 'unit'],
      rows: d.kpis.map((k) => [k.key, k.label, k.value, k.previous, k.unit]),
    },
    {
      name: 'pmf_scorecard',
      title: 'PMF scorecard',
      headers: ['signal', 'label', 'kind', 'value', 'unit', 'threshold', 'met', 'verdict', 'verdict_label'],
      rows: d.pmf.map((p) => [p.key, p.label, p.kind, p.value, p.unit, p.threshold, p.met == null ? null : p.met ? 'yes' : 'no', p.verdict, pmfVerdictWord(p.verdict)]),
    },
    {
      name: 'pmf_verdict',
      title: 'PMF verdict',
      headers: ['verdict', 'verdict_label', 'summary'],
      rows: [[d.pmfOverall.verdict, d.pmfOverall.word, d.pmfOverall.summary]],
    },
    {
      name: 'activation_journey',
      title: 'Activation journey',
      headers: ['step', 'users', 'conversion_from_previous', 'share_of_first'],
      rows: d.journey.map((s) => [s.step, s.users, rate(s.fromPrevious), rate(s.ofFirst)]),
    },
    {
      name: 'retention_curve',
      title: 'Retention curve',
      headers: ['week', 'retained_users', 'eligible_users', 'retention_rate'],
      rows: d.retention.curve.map((p) => [p.week, p.retained, p.eligible, rate(p.rate)]),
    },
    {
      name: 'retention_cohorts',
      title: 'Retention cohorts',
      // open_from_week: the first week still open (its rate and later ones are so far); empty when every week finished.
      headers: ['cohort', 'size', 'open_from_week', ...Array.from({ length: maxCells }, (_, i) => `week_${i}`)],
      rows: d.retention.cohorts.map((c) => {
        const open = c.open.indexOf(true);
        return [c.cohort, c.size, open < 0 ? null : open, ...Array.from({ length: maxCells }, (_, i) => rate(c.cells[i] ?? null))];
      }),
    },
    {
      name: 'growth',
      title: 'DAU / WAU',
      headers: ['date', 'dau', 'wau', 'signups'],
      rows: d.growth.map((g) => [g.date, g.dau, g.wau, g.signups]),
    },
    {
      name: 'use_cases',
      title: 'Top use cases',
      headers: ['use_case', 'conversations', 'users', 'share_of_conversations'],
      rows: d.useCases.map((u) => [u.useCase, u.conversations, u.users, rate(u.share)]),
    },
    {
      name: 'credit_exhaustion',
      title: 'Credit exhaustion',
      headers: ['user_id', 'email', 'credits_used', 'exhaustion_count', 'last_active_at'],
      rows: d.creditExhaustion.users.map((u) => [u.userId, u.email, u.creditsUsed, u.exhaustionCount, u.lastActiveAt]),
    },
    {
      name: 'blockers',
      title: 'Top blockers',
      headers: ['blocker', 'count', 'users'],
      rows: d.blockers.map((b) => [b.text, b.count, b.users]),
    },
    {
      name: 'feature_requests',
      title: 'Feature requests',
      headers: ['feature_request', 'count', 'users'],
      rows: d.featureRequests.map((b) => [b.text, b.count, b.users]),
    },
  ];
}
