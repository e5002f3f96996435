import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDACTION_KINDS, type RedactionKind, type RedactionSpan } from '../../shared/redact.ts';

/** The hand-written labelled corpus (tests/fixtures/redaction/README.md) and how a detector is scored on it. */
export interface CorpusItem {
  id: string;
  locale: string;
  text: string;
  spans: Array<{ start: number; end: number; kind: RedactionKind }>;
  negative?: boolean;
}

export const CORPUS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'tests', 'fixtures', 'redaction', 'corpus.jsonl');

export function loadCorpus(file = CORPUS_FILE): CorpusItem[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as CorpusItem);
}

export interface KindScore {
  gold: number;
  found: number;
  predicted: number;
  correct: number;
  recall: number;
  precision: number;
}
export interface Score {
  byKind: Record<RedactionKind, KindScore>;
  overall: KindScore;
  misses: Array<{ id: string; kind: string; value: string }>;
  falsePositives: Array<{ id: string; kind: string; value: string; expected?: string }>;
}

/** Share of a span's non-space characters covered by the predicted spans. */
function coverage(text: string, start: number, end: number, predicted: RedactionSpan[]): number {
  let total = 0;
  let covered = 0;
  for (let i = start; i < end; i++) {
    if (/\s/.test(text[i])) continue;
    total++;
    if (predicted.some((p) => p.start <= i && i < p.end)) covered++;
  }
  return total ? covered / total : 1;
}

/**
 * Recall: a labelled span counts as found when ≥ 80% of its non-space characters are redacted (any placeholder: what
 * matters is that it does not leave). Precision: a redacted span counts as correct when it overlaps a labelled span
 * of the same kind; one overlapping only another kind, or nothing, is a false positive of its kind.
 */
export function score(corpus: CorpusItem[], detect: (text: string) => RedactionSpan[]): Score {
  const blank = (): KindScore => ({ gold: 0, found: 0, predicted: 0, correct: 0, recall: 1, precision: 1 });
  const byKind = Object.fromEntries(REDACTION_KINDS.map((k) => [k, blank()])) as Record<RedactionKind, KindScore>;
  const misses: Score['misses'] = [];
  const falsePositives: Score['falsePositives'] = [];
  for (const item of corpus) {
    const predicted = detect(item.text);
    for (const g of item.spans) {
      byKind[g.kind].gold++;
      if (coverage(item.text, g.start, g.end, predicted) >= 0.8) byKind[g.kind].found++;
      else misses.push({ id: item.id, kind: g.kind, value: item.text.slice(g.start, g.end) });
    }
    for (const p of predicted) {
      byKind[p.kind].predicted++;
      const overlapping = item.spans.filter((g) => p.start < g.end && p.end > g.start);
      if (overlapping.some((g) => g.kind === p.kind)) byKind[p.kind].correct++;
      else falsePositives.push({ id: item.id, kind: p.kind, value: item.text.slice(p.start, p.end), expected: overlapping[0]?.kind });
    }
  }
  const overall = blank();
  for (const s of Object.values(byKind)) {
    s.recall = s.gold ? s.found / s.gold : 1;
    s.precision = s.predicted ? s.correct / s.predicted : 1;
    overall.gold += s.gold;
    overall.found += s.found;
    overall.predicted += s.predicted;
    overall.correct += s.correct;
  }
  overall.recall = overall.gold ? overall.found / overall.gold : 1;
  overall.precision = overall.predicted ? overall.correct / overall.predicted : 1;
  return { byKind, overall, misses, falsePositives };
}

export function formatScore(title: string, s: Score): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);
  const lines = [`${title}`, `  kind          labelled  recall  predicted  precision`];
  for (const k of REDACTION_KINDS) {
    const v = s.byKind[k];
    lines.push(`  ${k.padEnd(12)} ${String(v.gold).padStart(9)} ${pct(v.recall)} ${String(v.predicted).padStart(10)}  ${pct(v.precision)}`);
  }
  lines.push(`  ${'overall'.padEnd(12)} ${String(s.overall.gold).padStart(9)} ${pct(s.overall.recall)} ${String(s.overall.predicted).padStart(10)}  ${pct(s.overall.precision)}`);
  return lines.join('\n');
}
