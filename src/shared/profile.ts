/**
 * User memory: preferences with evidence, and how the current preference per key is chosen. Pure code, shared by the
 * profile builder (src/main/profiles), the context API and the workbench.
 */

export type PreferenceSource = 'stated' | 'observed';

/** A tool parameter the user chose, counted per value (table uis_preference_evidence). */
export interface ObservedEvidence {
  key: string;
  value: string;
  count: number;
  first_seen: string;
  last_seen: string;
}

/** A preference the user said in a message (table uis_preference_statements). */
export interface Statement {
  event_id: string;
  key: string;
  value: string;
  stated_at: string;
  excerpt: string;
}

export interface PreferenceHistoryEntry {
  value: string;
  stated_at: string;
  excerpt: string;
  /** When a newer statement with a different value replaced this one; null for the current one. */
  superseded_at: string | null;
}

export interface Preference {
  key: string;
  value: string;
  source: PreferenceSource;
  /** 0..1: how sure we are this is what the user wants next time. */
  confidence: number;
  /** How many times the evidence for this value was seen (statements of it, or tool calls choosing it). */
  count: number;
  last_seen: string;
  /** Every statement for this key, oldest first (empty for purely observed preferences). */
  history: PreferenceHistoryEntry[];
}

/** Observed values need this many choices before they count as a preference (one choice is not a habit). */
export const MIN_OBSERVED_COUNT = 2;

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The current preference per key. A statement beats observation (the user said it); among statements the newest wins and
 * older contradicting ones are kept as superseded history. Observed confidence grows with how often and how
 * consistently the value was chosen: share × (1 − 1/(count+1)).
 */
export function derivePreferences(observed: ObservedEvidence[], statements: Statement[]): Preference[] {
  const keys = new Set([...observed.map((o) => o.key), ...statements.map((s) => s.key)]);
  const out: Preference[] = [];
  for (const key of [...keys].sort()) {
    const stated = statements
      .filter((s) => s.key === key)
      .sort((a, b) => a.stated_at.localeCompare(b.stated_at) || a.event_id.localeCompare(b.event_id));
    const seen = observed.filter((o) => o.key === key);
    if (stated.length > 0) {
      const history: PreferenceHistoryEntry[] = stated.map((s, i) => {
        const laterDifferent = stated.slice(i + 1).find((n) => n.value !== s.value);
        return { value: s.value, stated_at: s.stated_at, excerpt: s.excerpt, superseded_at: laterDifferent?.stated_at ?? null };
      });
      const current = stated[stated.length - 1];
      // Repeats of the current value since the last change of mind.
      let repeats = 0;
      for (let i = stated.length - 1; i >= 0 && stated[i].value === current.value; i--) repeats++;
      const agreeing = seen.find((o) => o.value === current.value);
      out.push({
        key,
        value: current.value,
        source: 'stated',
        confidence: round2(Math.min(0.99, 0.85 + 0.05 * (repeats - 1) + (agreeing ? 0.05 : 0))),
        count: repeats,
        last_seen: current.stated_at,
        history,
      });
      continue;
    }
    const total = seen.reduce((n, o) => n + o.count, 0);
    const best = [...seen].sort((a, b) => b.count - a.count || b.last_seen.localeCompare(a.last_seen))[0];
    if (!best || best.count < MIN_OBSERVED_COUNT) continue;
    out.push({
      key,
      value: best.value,
      source: 'observed',
      confidence: round2((best.count / total) * (1 - 1 / (best.count + 1))),
      count: best.count,
      last_seen: best.last_seen,
      history: [],
    });
  }
  return out;
}

/** The seed's `preferences` column: a plain map such as {style: "cinematic", tone: "professional"}. */
export function preferencesMap(prefs: Preference[]): Record<string, string> {
  return Object.fromEntries(prefs.map((p) => [p.key, p.value]));
}

/** Words a confidence maps to in the prompt text block. */
export function confidenceLabel(c: number): 'high' | 'medium' | 'low' {
  return c >= 0.75 ? 'high' : c >= 0.45 ? 'medium' : 'low';
}
