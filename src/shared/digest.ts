import { z } from 'zod';
import type { PmfOverallBrief } from './pmf.js';
import type { ExhaustedUser, Kpi, RankedText, Unit, Verdict } from './report.js';

/** The insights e-mail: what changed since the previous day or week. Built in src/main/digest/build.ts. */

export const DigestKind = z.enum(['daily', 'weekly']);
export type DigestKind = z.infer<typeof DigestKind>;

export interface PmfChange {
  key: string;
  label: string;
  kind: 'strong' | 'weak' | 'pivot';
  from: Verdict;
  to: Verdict;
  value: number | null;
  unit: Unit;
}

export interface Anomaly {
  kind: 'error_rate_spike' | 'activity_drop';
  /** The tool, or null for the whole product. */
  tool: string | null;
  value: number;
  baseline: number;
  message: string;
}

export interface Digest {
  kind: DigestKind;
  /** Unique per kind and period: the send ledger's key ("daily:2026-11-27"). */
  periodKey: string;
  period: { since: string; until: string };
  /** The period the key numbers' changes are measured against. */
  previous: { since: string; until: string };
  /** The window anomalies are measured against. */
  baseline: { since: string; until: string };
  company: string;
  workspace: string;
  keyNumbers: Kpi[];
  /** The overall PMF verdict on the 30 days ending with the period (the window pmfChanges are judged on). */
  pmfOverall: PmfOverallBrief;
  pmfChanges: PmfChange[];
  newBlockers: RankedText[];
  newFeatureRequests: RankedText[];
  /** Users whose credits ran out during the period (the hot leads). */
  newlyExhausted: ExhaustedUser[];
  anomalies: Anomaly[];
}

export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
}

export const DigestPreviewRequest = z
  .object({
    kind: DigestKind.default('daily'),
    /** The last day of the period (defaults to the last complete day / week). */
    until: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-11-27')
      .optional(),
  })
  .strict();
