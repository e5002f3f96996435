/**
 * The guard on the LLM narrative: every number it states must be one of the numbers it was given. A number in the
 * text with d decimals matches a given value v when v rounded to d decimals equals it (so "53%" matches a rate of
 * 0.5333); rates 0..1 may also be written as percentages. Pure: no I/O.
 */

// "1,234.5", "12.5", "7" — thousands separators allowed; signs are ignored (direction is said in words).
const NUMBER_TOKEN = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;

export interface NumberToken {
  text: string;
  value: number;
  decimals: number;
}

export function extractNumbers(text: string): NumberToken[] {
  const out: NumberToken[] = [];
  for (const m of text.matchAll(NUMBER_TOKEN)) {
    const raw = m[0];
    const plain = raw.replace(/,/g, '');
    const dot = plain.indexOf('.');
    out.push({ text: raw, value: Number(plain), decimals: dot < 0 ? 0 : plain.length - dot - 1 });
  }
  return out;
}

/** Every number a narrative may use: numeric leaves (and rates ×100), plus numbers inside keys and strings (dates, "day 7"). */
export function allowedNumbers(metrics: unknown): number[] {
  const values = new Set<number>();
  const addText = (s: string) => {
    for (const t of extractNumbers(s)) values.add(t.value);
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      values.add(Math.abs(v));
      if (Math.abs(v) <= 1) values.add(Math.abs(v) * 100);
    } else if (typeof v === 'string') addText(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        addText(k);
        walk(child);
      }
    }
  };
  walk(metrics);
  return [...values];
}

const roundTo = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export interface NarrativeCheck {
  ok: boolean;
  /** The numbers in the text that are not in the metrics. */
  invented: string[];
}

export function checkNarrativeNumbers(text: string, metrics: unknown): NarrativeCheck {
  const allowed = allowedNumbers(metrics);
  const invented: string[] = [];
  for (const tok of extractNumbers(text)) {
    const matches = allowed.some((a) => Math.abs(roundTo(a, tok.decimals) - tok.value) < 1e-9);
    if (!matches) invented.push(tok.text);
  }
  return { ok: invented.length === 0, invented };
}
