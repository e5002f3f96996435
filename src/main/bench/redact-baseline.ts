/**
 * The baseline of `npm run bench:redact`: the rule set src/shared/redact.ts had before it was rebuilt on libraries
 * (nine regular expressions, Luhn and mod-97 checks), frozen here so each run scores it on the same corpus and times
 * it on the same text. Not used by the product.
 */
import { luhnValid, type RedactionKind } from '../../shared/redact.ts';

function ibanValid(raw: string): boolean {
  const iban = raw.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = /\d/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

const STREET_SUFFIX =
  'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|terrace|square|sq|parkway|pkwy|highway|hwy|crescent|close|strasse|straße|allee|weg|gasse|platz|rue|calle|via';

interface Rule {
  kind: RedactionKind;
  pattern: RegExp;
  /** Extra check on the match (checksums, digit counts); false keeps the text. */
  accept?: (match: string) => boolean;
}

const RULES: Rule[] = [
  {
    kind: 'API_KEY',
    pattern:
      /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g,
  },
  // "Bearer <token>", "api_key=<value>", "password: <value>": the label stays, the value goes.
  { kind: 'API_KEY', pattern: /(?<=\b(?:bearer|api[_-]?key|apikey|access[_-]?token|secret|password|passwd|token)\s*[:=]?\s*)[A-Za-z0-9_\-.+/=]{12,}/gi },
  // Long mixed-case alphanumeric runs with digits: generated secrets (hex hashes and UUIDs are single-case).
  {
    kind: 'API_KEY',
    pattern: /\b[A-Za-z0-9_-]{32,}\b/g,
    accept: (m) => /[a-z]/.test(m) && /[A-Z]/.test(m) && /\d/.test(m),
  },
  { kind: 'EMAIL', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  { kind: 'IBAN', pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g, accept: ibanValid },
  {
    kind: 'CARD',
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    accept: (m) => {
      const digits = m.replace(/\D/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhnValid(digits);
    },
  },
  {
    kind: 'IP',
    // Not after "v", "version" or a dot: four-part version strings (v10.2.0.1) are not addresses.
    pattern: /(?<![\w.])(?<!\bv(?:ersion)? ?)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.])/gi,
  },
  { kind: 'IP', pattern: /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}:?){0,6}[0-9a-f]{1,4}(?![\w:])/gi, accept: (m) => /[a-f]/i.test(m) || m.includes('::') },
  {
    kind: 'PHONE',
    pattern: /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,8}){1,4}(?![\w-]|\.\d)|(?<![\w])\+\d{9,14}\b/g,
    accept: (m) => {
      const digits = m.replace(/\D/g, '');
      if (digits.length < 9 || digits.length > 15) return false;
      // A plain run like "2024 05 01 12" is not a number someone dials: ask for a + prefix, parentheses, or a
      // national grouping of 3-4 digit blocks.
      return m.startsWith('+') || m.includes('(') || /^\d{3}[ .-]\d{3,4}[ .-]\d{3,4}$/.test(m) || /^0\d{2,4}[ .-]\d{3,8}(?:[ .-]\d{2,4})?$/.test(m);
    },
  },
  {
    kind: 'ADDRESS',
    pattern: new RegExp(
      String.raw`\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){1,3}(?:${STREET_SUFFIX})\b\.?(?:,?\s+(?:apt|suite|unit)\.?\s*\d+[A-Za-z]?)?|\b[A-Z][a-zäöü]+(?:strasse|straße|weg|allee|gasse|platz)\s+\d{1,4}[a-z]?\b`,
      'gi',
    ),
    accept: (m) => /[A-Za-z]/.test(m),
  },
];

/** The rules above as spans: each rule runs on the text with earlier findings masked (offsets kept). */
export function findRedactionsBaseline(text: string): Array<{ start: number; end: number; kind: RedactionKind }> {
  const spans: Array<{ start: number; end: number; kind: RedactionKind }> = [];
  let masked = text;
  for (const rule of RULES) {
    rule.pattern.lastIndex = 0;
    for (const m of masked.matchAll(rule.pattern)) {
      if (m[0].includes('\u0000') || (rule.accept && !rule.accept(m[0]))) continue;
      spans.push({ start: m.index, end: m.index + m[0].length, kind: rule.kind });
    }
    for (const s of spans) masked = masked.slice(0, s.start) + '\u0000'.repeat(s.end - s.start) + masked.slice(s.end);
  }
  return spans.sort((a, b) => a.start - b.start);
}

/** The previous redact(): one replace per rule, in order. */
export function redactBaseline(text: string): string {
  let out = text;
  for (const rule of RULES) out = out.replace(rule.pattern, (match) => (rule.accept && !rule.accept(match) ? match : `[${rule.kind}]`));
  return out;
}
