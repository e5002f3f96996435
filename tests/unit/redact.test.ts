import { describe, expect, it } from 'vitest';
import { REDACTION_KINDS, ibanValid, luhnValid, redact, redactDeep, type RedactionKind } from '../../src/shared/redact.js';

/**
 * A generated corpus: ≥ 200 cases of each kind inside chat-like sentences, plus near misses that must stay (order
 * numbers, dates, version strings, prices, numbers failing their checksum). Recall and precision are printed.
 */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const alnum = (n: number, set = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') => Array.from({ length: n }, () => set[int(0, set.length - 1)]).join('');
  return { next, int, pick, digits, alnum };
}
const r = rng(42);

function luhnComplete(prefix: string, length: number): string {
  let body = prefix + r.digits(length - prefix.length - 1);
  for (let check = 0; check <= 9; check++) if (luhnValid(body + check)) return body + check;
  body = '';
  return body;
}

function ibanFor(country: string, bbanLength: number): string {
  const bban = r.digits(bbanLength);
  for (let check = 2; check <= 98; check++) {
    const candidate = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanValid(candidate)) return candidate;
  }
  throw new Error('no IBAN check digits');
}

const group4 = (s: string) => s.replace(/(.{4})(?=.)/g, '$1 ');
const NAMES = ['maya', 'liam', 'sofia.chen', 'noah_k', 'ava+promo', 'lucas.garcia', 'mia2024'];
const DOMAINS = ['gmail.com', 'example.org', 'company.co.uk', 'mail.studio.io', 'web.de'];
const STREETS = ['Main', 'Oak', 'Maple', 'Sunset', 'Elm Park', 'King George', 'Baker', 'Market'];
const SUFFIXES = ['Street', 'St', 'Avenue', 'Ave', 'Road', 'Rd', 'Boulevard', 'Lane', 'Drive', 'Way', 'Court', 'Place'];
const TEMPLATES = [
  (v: string) => `Please send the video to ${v} when it's done`,
  (v: string) => `my details: ${v}, thanks!`,
  (v: string) => `${v} is what I used last time`,
  (v: string) => `Can you put ${v} on the banner?`,
  (v: string) => `contact (${v}) for the invoice`,
];

function positive(kind: RedactionKind): string {
  switch (kind) {
    case 'EMAIL':
      return `${r.pick(NAMES)}${r.int(0, 99)}@${r.pick(DOMAINS)}`;
    case 'PHONE':
      return r.pick([
        () => `+1 ${r.digits(3)} ${r.digits(3)} ${r.digits(4)}`,
        () => `+44 20 ${r.digits(4)} ${r.digits(4)}`,
        () => `(${r.digits(3)}) ${r.digits(3)}-${r.digits(4)}`,
        () => `${r.int(200, 999)}-${r.digits(3)}-${r.digits(4)}`,
        () => `+49 30 ${r.digits(8)}`,
        () => `+33${r.digits(9)}`,
        () => `0${r.digits(3)} ${r.digits(6)}`,
      ])();
    case 'CARD': {
      const number = luhnComplete(r.pick(['4', '51', '55', '37', '6011']), r.pick([16, 16, 15]));
      return r.pick([number, group4(number), number.replace(/(.{4})(?=.)/g, '$1-')]);
    }
    case 'IBAN': {
      const [country, len] = r.pick([['DE', 18], ['FR', 23], ['GB', 18], ['NL', 14], ['ES', 20], ['IT', 23]] as const);
      const iban = country === 'GB' || country === 'NL' ? ibanFor(country, len) : ibanFor(country, len);
      return r.next() < 0.5 ? iban : group4(iban);
    }
    case 'API_KEY':
      return r.pick([
        () => `sk-${r.alnum(40)}`,
        () => `sk-proj-${r.alnum(48)}`,
        () => `ghp_${r.alnum(36)}`,
        () => `AKIA${r.alnum(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`,
        () => `xoxb-${r.digits(12)}-${r.alnum(24)}`,
        () => `eyJ${r.alnum(20)}.eyJ${r.alnum(30)}.${r.alnum(25)}`,
        () => `AIza${r.alnum(35)}`,
      ])();
    case 'IP':
      return r.next() < 0.8 ? `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` : `2001:db8:${r.alnum(4, '0123456789abcdef')}::${r.int(1, 99)}`;
    case 'ADDRESS':
      return `${r.int(1, 9999)} ${r.pick(STREETS)} ${r.pick(SUFFIXES)}`;
  }
}

const NEAR_MISSES: Array<() => string> = [
  () => `my order number is ${r.digits(r.int(6, 10))}`,
  () => `order #ORD-${r.int(2020, 2026)}-${r.digits(5)} never arrived`,
  () => `it was on ${r.int(2020, 2026)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
  () => `we met on ${r.int(1, 28)}/${r.int(1, 12)}/${r.int(2019, 2026)} at ${r.int(1, 12)}:${r.digits(2)}`,
  () => `I'm on version ${r.int(1, 20)}.${r.int(0, 20)}.${r.int(0, 99)}`,
  () => `after updating to v${r.int(1, 12)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 99)} it broke`,
  () => `it costs $${r.int(1, 9)},${r.digits(3)}.${r.digits(2)} per year`,
  () => {
    // A card-shaped number failing Luhn.
    const n = luhnComplete('4', 16);
    return `ticket ${n.slice(0, 15)}${(Number(n[15]) + 1) % 10}`;
  },
  () => `the render took ${r.int(10, 999)} seconds at ${r.pick(['1920x1080', '3840x2160', '1080x1920'])}`,
  () => `make it ${r.int(15, 90)} seconds long, ${r.pick(['16:9', '9:16', '1:1'])}, ${r.int(24, 60)} fps`,
  () => `commit ${r.alnum(40, '0123456789abcdef')} fixed it`,
  () => `conversation ${r.alnum(8, '0123456789abcdef')}-${r.alnum(4, '0123456789abcdef')}-4${r.alnum(3, '0123456789abcdef')}-a${r.alnum(3, '0123456789abcdef')}-${r.alnum(12, '0123456789abcdef')}`,
  () => `I need ${r.int(2, 12)} videos by ${r.pick(['Monday', 'Friday'])} for ${r.int(100, 999)} followers`,
  () => `DE${r.digits(2)} is not an account, and neither is the reference ${r.digits(4)} ${r.digits(4)}`,
];

describe('redaction on a generated corpus', () => {
  it('reaches recall ≥ 99% and precision ≥ 95% for every kind, and keeps near misses', () => {
    const perKind = 250;
    let falsePositives = 0;
    const stats: Record<string, { tp: number; fn: number; fp: number }> = {};
    for (const kind of REDACTION_KINDS) {
      stats[kind] = { tp: 0, fn: 0, fp: 0 };
      for (let i = 0; i < perKind; i++) {
        const value = positive(kind);
        const sentence = r.pick(TEMPLATES)(value);
        const out = redact(sentence);
        const found = out.text.includes(`[${kind}]`) && !out.text.includes(value);
        if (found) stats[kind].tp++;
        else stats[kind].fn++;
        // Anything else redacted in a sentence holding one value is a false positive.
        const others = Object.entries(out.counts).reduce((a, [k, n]) => a + (k === kind ? Math.max(0, (n ?? 0) - 1) : (n ?? 0)), 0);
        stats[kind].fp += others;
      }
    }
    const nearMissCount = 400;
    const kept: string[] = [];
    for (let i = 0; i < nearMissCount; i++) {
      const sentence = r.pick(NEAR_MISSES)();
      const out = redact(sentence);
      if (out.text !== sentence) {
        falsePositives++;
        if (kept.length < 5) kept.push(`${sentence} → ${out.text}`);
      }
    }
    const lines = ['kind      recall   precision  (n=' + perKind + ' each)'];
    let allTp = 0;
    let allFp = falsePositives;
    let allFn = 0;
    for (const kind of REDACTION_KINDS) {
      const s = stats[kind];
      allTp += s.tp;
      allFp += s.fp;
      allFn += s.fn;
      lines.push(`${kind.padEnd(9)} ${(s.tp / (s.tp + s.fn)).toFixed(3)}    ${(s.tp / (s.tp + s.fp || 1)).toFixed(3)}`);
    }
    const recall = allTp / (allTp + allFn);
    const precision = allTp / (allTp + allFp);
    lines.push(`near misses kept: ${nearMissCount - falsePositives}/${nearMissCount}`);
    lines.push(`overall recall ${(recall * 100).toFixed(2)}%, precision ${(precision * 100).toFixed(2)}%`);
    console.log(lines.join('\n') + (kept.length ? `\nexamples of near misses redacted:\n${kept.join('\n')}` : ''));
    for (const kind of REDACTION_KINDS) expect(stats[kind].tp / perKind, `${kind} recall`).toBeGreaterThanOrEqual(0.99);
    expect(recall).toBeGreaterThanOrEqual(0.99);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(falsePositives / nearMissCount).toBeLessThanOrEqual(0.05);
  });

  it('uses typed placeholders and counts what it removed', () => {
    const out = redact('mail me at jo@example.com or call +1 415 555 0100, card 4242 4242 4242 4242, key sk-abcdefghijklmnopqrstuvwxyz123456');
    expect(out.text).toBe('mail me at [EMAIL] or call [PHONE], card [CARD], key [API_KEY]');
    expect(out.counts).toEqual({ EMAIL: 1, PHONE: 1, CARD: 1, API_KEY: 1 });
  });

  it('keeps the label of a labelled secret and redacts inside nested values', () => {
    const counts = {};
    const out = redactDeep({ messages: [{ content: 'password: hunter2hunter2!' }, { content: 'server 10.0.0.12 at 221 Baker Street' }], n: 3 }, counts);
    expect(out).toEqual({ messages: [{ content: 'password: [API_KEY]!' }, { content: 'server [IP] at [ADDRESS]' }], n: 3 });
    expect(counts).toEqual({ API_KEY: 1, IP: 1, ADDRESS: 1 });
  });

  it('checks card and IBAN checksums', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 01')).toBe(false);
  });
});
