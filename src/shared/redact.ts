/**
 * Redaction of personal data and secrets before any text leaves the machine (LLM prompts, embeddings): each finding
 * becomes a typed placeholder such as [EMAIL]. Pure (no node:*; its libraries are plain JavaScript), so the core, the
 * renderer's "what was sent" view and the tests share it.
 *
 * Each kind rests on a maintained library or a published format, not on a guess (docs/intelligence.md, "Privacy"):
 * - PHONE: libphonenumber-js (Google's libphonenumber metadata, 'max' set) validates every candidate for a list of
 *   regions; international numbers (+…, 00…) for every region.
 * - IBAN: ibantools (country lengths and BBAN structure, ISO 7064 mod 97), any case, with or without spaces.
 * - CARD: credit-card-type (issuer ranges, lengths and the issuer's grouping) plus Luhn.
 * - NATIONAL_ID: stdnum (US SSN incl. its never-issued ranges, UK National Insurance, French NIR, Spanish DNI/NIE,
 *   Italian codice fiscale, Brazilian CPF, Indian Aadhaar and PAN, Dutch BSN with context), each with its check.
 * - ADDRESS: street lines in the forms of the supported locales, UK postcodes (postcode, with the list of postcode
 *   areas), US "City, ST 12345" and Japanese 〒 codes.
 * - API_KEY: prefixed credentials as data (redact-secrets.ts), labelled values (password=, token:, aws_secret_access_key=),
 *   and high-entropy tokens.
 * - EMAIL and IP (IPv4 outside version contexts; IPv6 checked by the URL parser).
 */
import creditCardType from 'credit-card-type';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { isValid as isUkPostcode } from 'postcode';
import { stdnum } from 'stdnum';
import { SECRET_RULES } from './redact-secrets.js';

export const REDACTION_KINDS = ['API_KEY', 'EMAIL', 'IBAN', 'CARD', 'NATIONAL_ID', 'IP', 'PHONE', 'ADDRESS'] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

export interface RedactionResult {
  text: string;
  counts: Partial<Record<RedactionKind, number>>;
}

export interface RedactionSpan {
  start: number;
  end: number;
  kind: RedactionKind;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** An IBAN as ibantools checks it: the country's length and BBAN structure, and the mod-97 check; any case, spaces. */
export function ibanValid(raw: string): boolean {
  const iban = electronicFormatIBAN(raw);
  return !!iban && isValidIBAN(iban);
}

// ---------------------------------------------------------------------------------------------------------------
// Context: numbers that a nearby word says are not personal (order numbers, versions).

/** Words before a number that name it as an order, ticket, tracking or reference number, in the supported locales. */
const REFERENCE_BEFORE =
  /(?:\b(?:order|orders|invoice|tracking|track|ticket|ref|reference|booking|confirmation|transaction|txn|receipt|case|shipment|parcel|package|sku|serial|build|job|run|request|account id|user id|id|commande|facture|suivi|colis|dossier|bestellung|bestellnummer|auftrag|rechnung|sendung|sendungsnummer|pedido|factura|seguimiento|reserva|ordine|fattura|spedizione|pratica|bestelling|factuur|zending|bestelnummer|encomenda|rastreio|nota fiscal|protocolo|pnr|awb|imei|iccid)\b|\bn[º°]|注文番号|伝票番号|追跡番号|#)[\s.:#-]*(?:(?:number|no|nr|num|numéro|numero|número|nummer|n[º°o]|id|code|is|was|est|ist|es|é|è)[\s.:#-]*)*$/i;

/** Words that say a number is a version, release or build, so "1.2.3.4" is not an IPv4 address. */
const VERSION_BEFORE =
  /(?:\b(?:v|ver|version\p{L}*|versi[óo]n|versão|versione|versie|release\p{L}*|rel|build|firmware|fw|sdk|api|app|updat\p{L}*|upgrad\p{L}*|patch\p{L}*|bump\p{L}*|downgrad\p{L}*|instal\p{L}*|chrome|firefox|safari|android|ios|node|python|java|kernel|chapter|chapitre|kapitel|cap[íi]tulo|capitolo|section|secci[óo]n|sezione|§|mise à jour|aktualisier\p{L}*|aggiorn\p{L}*|atualiz\p{L}*|actualiz\p{L}*|actualic\p{L}*|bijgewerkt|geüpdatet)(?![\p{L}\p{N}])|バージョン)(?:[\s:=#-]+[\p{L}]{1,5}){0,2}[\s:=#-]*v?$/iu;

const CARD_WORDS = /\b(?:card|cc|visa|mastercard|master card|amex|american express|discover|diners|jcb|maestro|carte|karte|kreditkarte|tarjeta|cartão|cartao|carta|kaart|creditcard|カード)\b/i;

function before(text: string, start: number, n = 40): string {
  return text.slice(Math.max(0, start - n), start);
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets

const SECRET_REGEXES = SECRET_RULES.map((r) => ({ ...r, regex: new RegExp(r.pattern, `g${r.flags ?? ''}`) }));
/** Every rule's keywords in one scan: the rules whose keyword is in the text run, the others cost nothing. */
const SECRET_KEYWORDS = new RegExp([...new Set(SECRET_RULES.flatMap((r) => r.keywords))].sort((x, y) => y.length - x.length).map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');

/**
 * A labelled secret: the label stays, the value goes. Separators ":" and "=" take any value; "is"/"est"/"ist"… take a
 * value that looks generated (a digit, a symbol or mixed case), so "the password is correct" stays.
 */
const SECRET_LABEL = String.raw`(?:aws_secret_access_key|aws_session_token|aws_access_key_id|secret[_-]?access[_-]?key|client[_-]?secret|secret[_-]?key|api[_-]?secret|app[_-]?secret|api[_ -]?key|apikey|access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|id[_-]?token|session[_-]?token|bearer[_-]?token|private[_-]?key|signing[_-]?key|webhook[_-]?secret|encryption[_-]?key|password|passwd|passcode|passphrase|pass|pwd|pw|secret|token|mot de passe|mdp|passwort|kennwort|contraseña|contrasena|clave|senha|wachtwoord|パスワード|暗証番号|pin)`;
const LABELLED_STRICT = new RegExp(
  String.raw`(?<![\w-])${SECRET_LABEL}(?:["'\]]?)\s*(?::=|=>|[:=：])\s*(?:"([^"\n]{3,200})"|'([^'\n]{3,200})'|\x60([^\x60\n]{3,200})\x60|([^\s"'\x60,;]{3,200}))`,
  'gi',
);
const LABELLED_SOFT = new RegExp(
  String.raw`(?<![\w-])${SECRET_LABEL}\s+(?:is|was|est|ist|es|è|é|is now|is still|now)\s+(?:"([^"\n]{3,200})"|'([^'\n]{3,200})'|([^\s"',;]{4,200}))`,
  'gi',
);
/** A label followed by a separator somewhere in the text: without one, the labelled-value rules do not run. */
const LABEL_SCAN = new RegExp(String.raw`${SECRET_LABEL}["'\]]?\s*(?:[:=：]|is|was|est|ist|es|è|é|now)`, 'i');
const BEARER = /\b(?:bearer|authorization:\s*(?:bearer|token|basic))\s+([A-Za-z0-9._~+/=-]{16,})/gi;
const PLACEHOLDER_VALUE = /^(?:\*+|x{3,}|\.{3,}|…|<[^>]*>|\$\{?\w+\}?|%\w+%|\{\{.*\}\}|\[[A-Z_]+\]|null|none|nil|undefined|true|false|required|optional|string|example|changeme|redacted|hidden|secret|password|\w*_here|your[\w-]*)$/i;

const FUNCTION_WORDS =
  /^(?:the|a|an|is|it|its|i|you|we|they|he|she|my|your|our|not|no|yes|none|what|how|why|when|where|which|who|this|that|same|forgot|forget|lost|reset|expired|wrong|invalid|missing|please|le|la|les|un|une|der|die|das|ein|eine|el|los|las|il|lo|het|een|o|os|as|um|uma)$/i;

function looksGenerated(v: string): boolean {
  return /\d/.test(v) || /[^\p{L}\p{N}]/u.test(v) || (/\p{Lu}/u.test(v.slice(1)) && /\p{Ll}/u.test(v));
}

function trimValue(v: string): string {
  return v.replace(/[.,;:)\]}>]+$/, '');
}

function shannon(s: string): number {
  const freq = new Map<string, number>();
  for (const ch of s) freq.set(ch, (freq.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of freq.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Segments that are words, numbers or version/size tags: a file name or an identifier, not a generated secret. */
const WORDISH = /^(?:[a-z]+|[A-Z][a-z]+|[A-Z]{1,6}|\d{1,8}[a-z]{0,3}|v\d+[a-z]?|[A-Z]?[a-z]+\d{1,4}|\d+x\d+|[A-Z][a-z]+(?:[A-Z][a-z]+)+)$/;

/** A generated secret without a label: long, high entropy, mixed classes, not hex (hashes, UUIDs), not a file name. */
function highEntropy(token: string): boolean {
  const t = token.replace(/^[/+=_-]+|[/+=_.-]+$/g, '');
  if (t.length < 20) return false;
  if (/^[0-9a-f-]+$/i.test(t)) return false; // hashes, UUIDs, colours: hex is not a secret on its own
  if (/^(?:https?|ftp|www)\b/i.test(t) || t.includes('://')) return false;
  const segments = t.split(/[_\-./]+/).filter(Boolean);
  if (segments.length >= 2 && segments.every((s) => WORDISH.test(s))) return false;
  const digits = (t.match(/\d/g) ?? []).length;
  const upper = (t.match(/[A-Z]/g) ?? []).length;
  const lower = (t.match(/[a-z]/g) ?? []).length;
  if (digits < 2 || upper + lower < 6) return false;
  const h = shannon(t);
  if (upper > 0 && lower > 0) return h >= (t.length >= 32 ? 4.0 : 3.7);
  return t.length >= 32 && h >= 4.3;
}
const TOKEN = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{20,}(?![A-Za-z0-9+/=_-])/g;

function findSecrets(text: string, lower: string, add: (s: number, e: number, k: RedactionKind) => void): void {
  const present = new Set(lower.match(SECRET_KEYWORDS));
  for (const rule of SECRET_REGEXES) {
    if (!rule.keywords.some((k) => present.has(k))) continue;
    rule.regex.lastIndex = 0;
    for (const m of text.matchAll(rule.regex)) add(m.index, m.index + m[0].length, 'API_KEY');
  }
  const labelled = (re: RegExp, soft: boolean) => {
    for (const m of text.matchAll(re)) {
      const gi = m.slice(1).findIndex((g) => g !== undefined);
      if (gi < 0) continue;
      const raw = m[gi + 1];
      const quoted = gi < (soft ? 2 : 3);
      const value = quoted ? raw : trimValue(raw);
      if (value.length < (soft ? 4 : 3) || PLACEHOLDER_VALUE.test(value)) continue;
      if (soft && !looksGenerated(value)) continue;
      // "token: the next one", "password: forgot it": a sentence goes on, no value was given.
      if (!quoted && FUNCTION_WORDS.test(value)) continue;
      const start = m.index + m[0].length - raw.length - (quoted ? 1 : 0);
      add(start, start + value.length, 'API_KEY');
    }
  };
  if (LABEL_SCAN.test(text)) {
    labelled(LABELLED_STRICT, false);
    labelled(LABELLED_SOFT, true);
  }
  if (lower.includes('bearer') || lower.includes('authorization'))
    for (const m of text.matchAll(BEARER)) add(m.index + m[0].length - m[1].length, m.index + m[0].length, 'API_KEY');
  for (const m of text.matchAll(TOKEN)) if (highEntropy(m[0])) add(m.index, m.index + m[0].length, 'API_KEY');
}

// ---------------------------------------------------------------------------------------------------------------
// E-mail, IP

const EMAIL = /(?<![\w.%+'-])[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}(?![\w-])/gu;

const IPV4 = /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\/\d{1,2})?(?![\w]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?:\/\d{1,3})?(?![\w:])/g;

function ipv6Valid(candidate: string): boolean {
  const addr = candidate.replace(/\/\d+$/, '').replace(/%\w+$/, '');
  if (!addr.includes('::') && addr.split(':').length !== 8) return false;
  if (!/[a-f]/i.test(addr) && !addr.includes('::')) return false; // 12:30:45 is a time
  if (/^:+$/.test(addr) || /^::\d{1,2}$/.test(addr)) return false; // "::" in code, "::1"-like scope operators stay only as ::1
  try {
    return new URL(`http://[${addr}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function findEmailsAndIps(text: string, add: (s: number, e: number, k: RedactionKind) => void): void {
  if (text.includes('@')) for (const m of text.matchAll(EMAIL)) add(m.index, m.index + m[0].length, 'EMAIL');
  for (const m of text.matchAll(IPV4)) {
    if (VERSION_BEFORE.test(before(text, m.index, 30))) continue;
    add(m.index, m.index + m[0].length, 'IP');
  }
  if (text.includes(':')) for (const m of text.matchAll(IPV6)) if (ipv6Valid(m[0])) add(m.index, m.index + m[0].length, 'IP');
}

// ---------------------------------------------------------------------------------------------------------------
// IBAN, cards, national identifiers

const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,32}(?![A-Za-z0-9])/g;

function findIbans(text: string, add: (s: number, e: number, k: RedactionKind) => void): void {
  for (const m of text.matchAll(IBAN_CANDIDATE)) {
    // A trailing word can be swallowed by the loose grouping: shorten until the IBAN validates.
    let candidate = m[0];
    while (candidate.replace(/[ -]/g, '').length >= 14) {
      if (ibanValid(candidate)) {
        add(m.index, m.index + candidate.length, 'IBAN');
        break;
      }
      candidate = candidate.slice(0, -1).replace(/[ -]+$/, '');
    }
  }
}

const CARD_CANDIDATE = /(?<![\d.,/-])\d(?:[ -]?\d){11,18}(?![\d]|[.,/-]\d)/g;

/** Issuer range, length and grouping (credit-card-type) plus Luhn. */
export function cardValid(raw: string): boolean {
  const digits = raw.replace(/\D/g, '');
  if (!luhnValid(digits)) return false;
  const groups = raw.split(/[ -]/).map((g) => g.length);
  const separators = new Set(raw.match(/[ -]/g) ?? []);
  if (separators.size > 1) return false;
  for (const type of creditCardType(digits)) {
    if (!type.lengths.includes(digits.length)) continue;
    if (groups.length === 1) return true;
    // The issuer's gaps (visa [4, 8, 12], amex [4, 10]) give the printed grouping, e.g. 4-4-4-4 or 4-6-5.
    const expected: number[] = [];
    let last = 0;
    for (const gap of type.gaps.filter((g) => g < digits.length)) {
      expected.push(gap - last);
      last = gap;
    }
    expected.push(digits.length - last);
    if (expected.length === groups.length && expected.every((n, i) => n === groups[i])) return true;
    // 17–19-digit cards (Maestro, UnionPay) print as 4-4-4-4-x.
    if (digits.length >= 17 && groups.slice(0, -1).every((n) => n === 4) && groups[groups.length - 1] <= 4 && groups.length >= 5) return true;
  }
  return false;
}

function findCards(text: string, add: (s: number, e: number, k: RedactionKind) => void, taken: (s: number, e: number) => boolean): void {
  for (const m of text.matchAll(CARD_CANDIDATE)) {
    if (taken(m.index, m.index + m[0].length) || !cardValid(m[0])) continue;
    const ctx = before(text, m.index, 40);
    if (REFERENCE_BEFORE.test(ctx) && !CARD_WORDS.test(ctx)) continue;
    add(m.index, m.index + m[0].length, 'CARD');
  }
}

interface IdRule {
  /** Fewest digits a match holds: a message with fewer digits skips the rule. */
  minDigits: number;
  pattern: RegExp;
  valid: (s: string) => boolean;
  /** When set, a nearby word must name the identifier (unformatted digit runs are too common to take alone). */
  context?: RegExp;
}
const ok = (v: { validate(s: string): { isValid: boolean } }) => (s: string) => v.validate(s).isValid;
/** stdnum's SSN check plus the SSA's never-issued parts: area 000, 666, 900–999; group 00; serial 0000. */
function ssnValid(s: string): boolean {
  const d = s.replace(/\D/g, '');
  if (/^(?:000|666|9\d\d)/.test(d) || d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  return stdnum.US.ssn.validate(d).isValid;
}
const ID_RULES: IdRule[] = [
  { minDigits: 9, pattern: /(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])/g, valid: (s) => /^\d{3}([- ])\d{2}\1\d{4}$/.test(s) && ssnValid(s) },
  { minDigits: 9, pattern: /(?<![\d-])\d{9}(?![\d-])/g, valid: ssnValid, context: /\b(?:ssn|social security|social|ss#|itin)\b/i },
  { minDigits: 6, pattern: /(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Za-ceghj-pr-tw-z][A-CEGHJ-NPR-TW-Za-ceghj-npr-tw-z] ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d](?![A-Za-z0-9])/g, valid: (s) => ok(stdnum.GB.nino)(s.toUpperCase()) },
  { minDigits: 13, pattern: /(?<![\d])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?!\d)/g, valid: ok(stdnum.FR.nir) },
  { minDigits: 8, pattern: /(?<![A-Za-z0-9])\d{8}-?[A-Za-z](?![A-Za-z0-9])/g, valid: (s) => ok(stdnum.ES.dni)(s.toUpperCase()) },
  { minDigits: 7, pattern: /(?<![A-Za-z0-9])[XYZxyz]-?\d{7}-?[A-Za-z](?![A-Za-z0-9])/g, valid: (s) => ok(stdnum.ES.nie)(s.toUpperCase()) },
  { minDigits: 7, pattern: /(?<![A-Za-z0-9])[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z](?![A-Za-z0-9])/g, valid: (s) => ok(stdnum.IT.codicefiscale)(s.toUpperCase()) },
  { minDigits: 11, pattern: /(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])/g, valid: ok(stdnum.BR.cpf) },
  { minDigits: 11, pattern: /(?<![\d.-])\d{11}(?![\d])/g, valid: ok(stdnum.BR.cpf), context: /\b(?:cpf)\b/i },
  { minDigits: 12, pattern: /(?<![\d-])[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}(?![\d-])/g, valid: ok(stdnum.IN.aadhaar) },
  { minDigits: 4, pattern: /(?<![A-Za-z0-9])[A-Z]{3}[PCHABGJLFT][A-Z]\d{4}[A-Z](?![A-Za-z0-9])/g, valid: ok(stdnum.IN.pan) },
  { minDigits: 9, pattern: /(?<![\d.-])\d{4}\.?\d{2}\.?\d{3}(?![\d])/g, valid: ok(stdnum.NL.bsn), context: /\b(?:bsn|burgerservicenummer|sofinummer)\b/i },
];

function findNationalIds(text: string, digits: number, add: (s: number, e: number, k: RedactionKind) => void, taken: (s: number, e: number) => boolean): void {
  for (const rule of ID_RULES) {
    if (digits < rule.minDigits) continue;
    for (const m of text.matchAll(rule.pattern)) {
      if (taken(m.index, m.index + m[0].length)) continue;
      if (rule.context && !rule.context.test(before(text, m.index, 40))) continue;
      if (!rule.context && REFERENCE_BEFORE.test(before(text, m.index, 30)) && !/\b(?:ssn|social|nino|national insurance|cpf|aadhaar|pan|dni|nie|nir|sécu|codice fiscale)\b/i.test(before(text, m.index, 40))) continue;
      if (rule.valid(m[0])) add(m.index, m.index + m[0].length, 'NATIONAL_ID');
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phones

/**
 * Regions a number without a country code is tried in: the locales of the product's users (Canada's numbers are
 * checked under US, the North American plan). A number with "+" or "00" is checked against its own country whatever
 * this list says. The 'max' metadata (libphonenumber-js/max, ~145 kB against ~80 kB for 'min') is what makes this
 * list safe to widen: 'min' checks lengths only, so every 10-digit reference would be "valid" somewhere.
 */
export const PHONE_REGIONS: readonly CountryCode[] = ['US', 'GB', 'FR', 'DE', 'ES', 'IT', 'NL', 'BR', 'IN', 'JP', 'PT', 'BE', 'CH', 'AT', 'AU', 'MX', 'IE'];

/** A run of digits with the separators phone numbers are written with, optionally after + or (. */
const PHONE_CANDIDATE = /(?<![\w+.,/-])(?:\+|\b00)?\(?\+?\d[\d\s()./‐–-]{5,22}\d(?:\s*(?:ext\.?|x|#)\s*\d{1,5})?(?![\w]|[.,/-]\d)/g;

const DATE_LIKE = /^(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}\s?-\s?\d{4}|\d{1,2}[./-]\d{4}|\d{1,2}\.\d{1,2}\.\d{2,4}\s+\d{1,2}[.:]\d{2})(?:\s+\d{1,2}[:.]\d{2}(?::\d{2})?)?$/;

/** Regions whose national numbers are written with a leading 0 (trunk prefix or part of the number), and those
 * whose national numbers always are (so a number without the 0 is not theirs). */
const TRUNK_ZERO = new Set<CountryCode>(['GB', 'FR', 'DE', 'IT', 'NL', 'BR', 'IN', 'JP', 'BE', 'CH', 'AT', 'AU', 'IE', 'MX']);
const TRUNK_ZERO_ONLY = new Set<CountryCode>(['GB', 'FR', 'DE', 'NL', 'JP', 'BE', 'CH', 'AT', 'AU', 'IE']);
/** Lengths of national significant numbers per region, from the same metadata: regions that cannot fit are skipped. */
const NATIONAL_LENGTHS = new Map<CountryCode, Set<number>>(
  PHONE_REGIONS.map((r) => {
    const metadata = new Metadata();
    metadata.selectNumberingPlan(r);
    return [r, new Set(metadata.numberingPlan?.possibleLengths() ?? [])];
  }),
);
const PHONE_WORDS = /(?:\b(?:phone|ph|tel|tele|telephone|call|ring|text|sms|mobile|mob|cell|cellphone|landline|fax|whatsapp|whats|zap|wa|contact|téléphone|tél|portable|appelle[rz]?|fixe|telefon|handy|festnetz|anrufen|teléfono|móvil|movil|llámame|fijo|telefono|cellulare|chiamami|fisso|telefoon|mobiel|bel|celular|ligue|liga|fixo)\b|電話|携帯|連絡)/i;

function findPhones(text: string, add: (s: number, e: number, k: RedactionKind) => void, taken: (s: number, e: number) => boolean): void {
  for (const m of text.matchAll(PHONE_CANDIDATE)) {
    const raw = m[0];
    const digits = raw.replace(/\D/g, '').length;
    if (digits < 7 || digits > 17) continue;
    if (taken(m.index, m.index + raw.length)) continue;
    const ctx = before(text, m.index, 40);
    const phoneWords = PHONE_WORDS.test(ctx);
    if (REFERENCE_BEFORE.test(ctx) && !phoneWords) continue;
    // 3-2-4 with dashes is how a US social security number is written, not a phone number.
    if (/^\d{3}-\d{2}-\d{4}$/.test(raw)) continue;
    // Dates and times are not numbers someone dials.
    if (DATE_LIKE.test(raw.trim())) continue;
    // Plain digit runs of 8 or fewer digits with no separator are counts, codes and amounts.
    if (!/[\s().+/‐–-]/.test(raw) && digits < 9) continue;
    const international = /^(?:\+|00|\(\+)/.test(raw);
    // Short numbers (local numbers without an area code) are taken with a trunk prefix or a word that names a phone.
    if (!international && digits < 9 && !raw.startsWith('0') && !phoneWords) continue;
    const body = raw.replace(/\s*(?:ext\.?|x|#)\s*\d{1,5}$/, '').trim();
    if (!international) {
      // A national number has at most 11 digits, 13 with a trunk 0 (Austria, Germany): longer runs are references.
      if (body.replace(/\D/g, '').length > (raw.startsWith('0') ? 13 : 11)) continue;
      // National format: libphonenumber's parser and its validity for each region in turn ('max' metadata: the number
      // patterns of each type, not only lengths); a number starting with 0 is tried where 0 is the trunk prefix.
      // Regions whose numbers can have this many digits, with or without a one-digit prefix (trunk 0, NANP 1).
      const n = body.replace(/\D/g, '').length;
      const regions = PHONE_REGIONS.filter(
        (r) => (raw.startsWith('0') ? TRUNK_ZERO.has(r) : !TRUNK_ZERO_ONLY.has(r)) && (NATIONAL_LENGTHS.get(r)!.has(n) || NATIONAL_LENGTHS.get(r)!.has(n - 1)),
      );
      if (regions.some((region) => parsePhoneNumberFromString(body, region)?.isValid())) add(m.index, m.index + raw.length, 'PHONE');
      continue;
    }
    // With "+" (or 00) and a country code the writer says it is a phone: a possible length for that country is enough
    // (fictional ranges such as the UK's 07700 900xxx are possible, not "valid"). The whole candidate is parsed, so a
    // date or a count beside the number is not dragged in.
    if (parsePhoneNumberFromString(body.replace(/^\(?00/, '+').replace(/^\(\+/, '+'))?.isPossible()) add(m.index, m.index + raw.length, 'PHONE');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

const DIRECTION = String.raw`(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?`;
const US_SUFFIX =
  'Street|St|Avenue|Ave|Av|Road|Rd|Approach|Parade|Rise|Vale|Circus|Wynd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Ter|Square|Sq|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Loop|Alley|Aly|Crescent|Cres|Close|Row|Mews|Gardens|Gdns|Grove|Walk|Path|Plaza|Plz|Pike|Turnpike|Expressway|Expy|Freeway|Fwy|Crossing|Xing|Bypass|Causeway|Wharf|Quay|Embankment|Broadway|Bowery';
/** Suffixes that are also everyday words are taken only when the street name before them is capitalised; words that
 * end street names but also common phrases after a count ("2 Matcha Green", "5 Free Pass": Park, Green, Hill, Point,
 * Run, Pass, Ridge, Heights, Cove, Commons, Path) are left out. */
const LOWER_SUFFIX = 'street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|terrace|parkway|highway|crescent';
const UNIT = String.raw`(?:,?\s*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|#)\.?\s*#?[\dA-Z]{1,5}[A-Z]?)`;
const UNIT_BEFORE = String.raw`(?:\b(?:Flat|Unit|Apartment|Apt|Suite|Studio)\s*\d{1,4}[A-Z]?,?\s+)?`;
const US_STATE =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR';
const CITY_TAIL = String.raw`(?:,\s*[A-Z][\p{L}'.-]+(?:\s[A-Z][\p{L}'.-]+){0,2}(?:,?\s*(?:${US_STATE})(?:\s+\d{5}(?:-\d{4})?)?|\s+\d{5}(?:-\d{4})?)?)?`;
const STOP = /^(?:min|mins|km|kms|mi|miles?|hrs?|to|at|in|on|of|for|and|or|the|a|an|my|your|our|their|his|her|its|this|that|these|those|from|with|per|by|into|about|over|under|more|less|than|times?|minutes?|hours?|days?|weeks?|months?|years?|seconds?|files?|videos?|images?|clips?|credits?|people|users?|pages?|slides?|steps?|items?|tabs?|new|old|is|was|are)$/i;

const COUNT_BEFORE =
  /\b(?:made|make|makes|making|bought|buy|buying|have|has|had|get|got|add|added|upload|uploaded|watched|watch|need|needs|needed|want|wants|create|created|generate|generated|render|rendered|export|exported|post|posted|sold|sell|of|the|for|about|only|just|all|top|last|first|next|another|over|under|than|with|these|those|my|our|your|their)\s+$/i;

const ADDRESS_PATTERNS: Array<{ re: RegExp; guard?: RegExp; accept?: (m: string) => boolean; english?: boolean }> = [
  // English: 221B Baker Street, 500 W 5th St, 1600 Pennsylvania Avenue NW, 2500 Broadway, 12 MG Road.
  {
    re: new RegExp(
      String.raw`${UNIT_BEFORE}(?<![\w.,/-])\d{1,5}(?:-\d{1,5})?[A-Za-z]?(?:\s*,)?\s+(?:${DIRECTION}\s+)?(?:(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][\p{L}'.-]*)\s+){0,4}(?:${US_SUFFIX})\b\.?(?:\s+${DIRECTION}(?![\p{L}]))?${UNIT}?${CITY_TAIL}`,
      'gu',
    ),
    guard: new RegExp(String.raw`\b(?:${US_SUFFIX})\b`),
    english: true,
    // A street has a name: "3 Drive folders" is not an address, "2500 Broadway" is.
    accept: (m) => /(?:Broadway|Bowery)\b/.test(m) || new RegExp(String.raw`\d[A-Za-z]?,?\s+(?:${DIRECTION}\s+)?(?:\d{1,3}(?:st|nd|rd|th)|[A-Z][\p{L}'.-]*)\s+\S`, 'u').test(m),
  },
  // UK and elsewhere, no street type: "45 Deansgate, Manchester M3 2AY" (a street line that ends in a postcode).
  {
    re: new RegExp(String.raw`${UNIT_BEFORE}(?<![\w.,/-])\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][\p{L}'-]+\s){0,3}[A-Z][\p{L}'-]+,\s*(?:[A-Z][\p{L}'-]+\s){1,3}[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`, 'gu'),
    guard: /\d[A-Z]{2}\b/,
  },
  {
    re: new RegExp(String.raw`(?<![\w.,/-])\d{1,5}[a-z]?\s+(?:(?:[nsew]\.?|north|south|east|west)\s+)?(?:(?:\d{1,3}(?:st|nd|rd|th)|[a-z][\p{L}'-]+)\s+){1,2}(?:${LOWER_SUFFIX})\b\.?(?:,\s*(?:apt|apartment|suite|unit|flat)\.?\s*#?\w{1,5})?`, 'gu'),
    guard: new RegExp(String.raw`\b(?:${LOWER_SUFFIX})\b`),
    english: true,
    accept: (m) => !m.split(/\s+/).slice(1, -1).some((w) => STOP.test(w)),
  },
  // French: 12 rue de la Paix, 75002 Paris; 5 bis avenue Victor Hugo.
  {
    re: new RegExp(
      String.raw`(?<![\w.,/-])\d{1,4}(?:\s?(?:bis|ter|[A-Ba-b]))?,?\s+(?:[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Pp]lace|[Aa]llée|[Cc]hemin|[Ii]mpasse|[Qq]uai|[Rr]oute|[Cc]ours|[Pp]assage|[Ss]quare|[Rr]ond-point|[Ff]aubourg)\s+(?:(?:de la|de l'|du|des|de|la|le|les|l'|d')\s*)?[\p{Lu}\d][\p{L}'’.-]*(?:\s+(?:de|du|des|la|le|d'|l'|[\p{Lu}][\p{L}'’.-]*)){0,4}(?:,?\s+\d{5}\s+[\p{Lu}][\p{L}'’-]+(?:[ -][\p{Lu}][\p{L}'’-]+)*(?:\s\d{1,2}e)?)?`,
      'gu',
    ),
    guard: /\b(?:rue|avenue|av|boulevard|bd|place|allée|chemin|impasse|quai|route|cours|passage|square|rond-point|faubourg)\b/i,
  },
  // Spanish, Italian, Portuguese: Calle de Alcalá 45; Via Roma, 10; Avenida Paulista, 1578 - Bela Vista.
  {
    re: new RegExp(
      String.raw`(?<![\p{L}])(?:Calle|C\/|Avda\.?|Avenida|Av\.|Paseo|Plaza|Pl\.|Carrer|Camino|Ronda|Travesía|Via|Viale|V\.le|Piazza|P\.zza|Corso|Largo|Vicolo|Piazzale|Strada|Rua|R\.|Travessa|Alameda|Praça|Rodovia|Estrada|Largo)\s+(?:(?:de|del|dels|de la|da|do|dos|das|di|della|dello|dei|delle|degli|la|el|l')\s*)?[\p{Lu}\d][\p{L}'’.-]*(?:\s+(?:de|del|da|do|dos|das|di|della|dei|delle|e|y|[\p{Lu}\d][\p{L}'’.-]*)){0,4},?\s*(?:n[º°o.]\s*)?\d{1,5}(?:\s?[A-Za-z](?![\p{L}]))?(?:\s*[,-]\s*(?:\d{1,2}º?(?!\d)\s?[A-Za-z]?|(?:piso|andar|apto|apt|sala|int|scala|interno|bloco|bl)\.?\s*\w{1,4}))*(?:\s+-\s+[\p{Lu}][\p{L}'’-]+(?:\s[\p{Lu}][\p{L}'’-]+)*)?(?:,\s*[\p{Lu}][\p{L}'’-]+(?:\s[\p{Lu}][\p{L}'’-]+)*\s*-\s*[A-Z]{2}\b)?(?:,?\s*(?:-\s*)?(?:\d{5}(?:-\d{3})?|CEP\s*\d{5}-?\d{3})(?:\s+[\p{Lu}][\p{L}'’-]+(?:\s[\p{Lu}][\p{L}'’-]+)*(?:\s*\(?[A-Z]{2}\)?)?)?)?`,
      'gu',
    ),
    guard: /(?:Calle|C\/|Avda|Avenida|Av\.|Paseo|Plaza|Pl\.|Carrer|Camino|Ronda|Travesía|Via|Viale|Piazzale|V\.le|Piazza|P\.zza|Corso|Largo|Vicolo|Strada|Rua|R\.|Travessa|Alameda|Praça|Rodovia|Estrada)\s/,
  },
  // German, Dutch, Swiss, Austrian: Hauptstraße 5; Friedrichstr. 123, 10117 Berlin; Keizersgracht 123, 1015 CJ Amsterdam.
  {
    re: new RegExp(
      String.raw`(?<![\p{L}])(?:[\p{Lu}][\p{L}-]*(?:straße|strasse|str\.|weg|allee|gasse|platz|ring|damm|ufer|chaussee|steig|gracht|straat|laan|plein|kade|dijk|singel|markt|steeg|pad|hof)|(?:[\p{Lu}][\p{L}]*(?:e|er|es)\s+)?(?:Straße|Strasse|Str\.|Weg|Allee|Gasse|Platz|Ring|Damm)|Am\s+[\p{Lu}][\p{L}]+|An der\s+[\p{Lu}][\p{L}]+|Unter den Linden)\s+\d{1,4}(?:\s?[a-zA-Z](?![\p{L}]))?(?:\s?-\s?\d{1,4})?(?:,?\s+(?:\d{4}\s?[A-Z]{2}|\d{4,5})\s+[\p{Lu}][\p{L}-]+(?:\s(?:am|an der|[\p{Lu}][\p{L}-]+))*)?`,
      'gu',
    ),
    guard: /(?:straße|strasse|str\.|weg|allee|gasse|platz|ring|damm|ufer|chaussee|steig|gracht|straat|laan|plein|kade|dijk|singel|markt|steeg|pad|hof|Am |An der |Unter den Linden)\s*\d/i,
  },
  // Japanese: 〒150-0041 東京都渋谷区神南1-2-3.
  { re: /(?:〒\s?\d{3}-?\d{4}\s*)?(?:東京都|北海道|(?:京都|大阪)府|[\u4e00-\u9fff]{2,3}県)[\u4e00-\u9fff\u3040-\u30ff]{1,15}?\d{1,4}(?:(?:丁目|番地?|号|-|−|ー|の)\d{0,4}){1,4}号?/gu, guard: /[都道府県]/ },
  { re: /〒\s?\d{3}-?\d{4}/g, guard: /〒/ },
  // Brazilian CEP with its label: "CEP 01310-200".
  { re: /(?<=\bCEP:?\s*)\d{5}-?\d{3}\b/gi, guard: /CEP/i },
  // PO boxes.
  { re: /\b(?:P\.?\s?O\.?\s?Box|Postfach|Apartado(?: de correos)?|Caixa Postal|Casella Postale|Boîte Postale|BP)\s+\d{1,6}\b/gi, guard: /box|postfach|apartado|caixa|casella|boîte|\bbp\b/i },
  // "Austin, TX 78701": a US city, state and ZIP.
  { re: new RegExp(String.raw`\b[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},\s*(?:${US_STATE})\s+\d{5}(?:-\d{4})?\b`, 'g'), guard: /,\s*[A-Z]{2}\s+\d{5}/ },
];

/** UK postcode areas (the letters before the district number), from Royal Mail's list: "GIR 0AA" aside. */
const UK_AREAS = new Set(
  'AB AL B BA BB BD BF BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE'.split(' '),
);
const UK_POSTCODE = /(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}(?![A-Za-z0-9])/g;

function findAddresses(text: string, add: (s: number, e: number, k: RedactionKind) => void): void {
  for (const { re, guard, accept, english } of ADDRESS_PATTERNS) {
    if (guard && !guard.test(text)) continue;
    for (const m of text.matchAll(re)) {
      const s = m[0].replace(/[\s,.-]+$/, '');
      if (accept && !accept(s)) continue;
      // "we made 3 Short Walk videos": a count after a verb or a determiner, not a house number.
      if (english && COUNT_BEFORE.test(before(text, m.index, 20))) continue;
      add(m.index, m.index + s.length, 'ADDRESS');
    }
  }
  if (/\d[A-Z]{2}\b/.test(text)) for (const m of text.matchAll(UK_POSTCODE)) {
    const area = /^[A-Z]+/.exec(m[0])![0];
    if (UK_AREAS.has(area) && isUkPostcode(m[0])) add(m.index, m.index + m[0].length, 'ADDRESS');
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * Every finding in the text, as non-overlapping spans. Detectors run from the most specific (secrets with a prefix,
 * checksummed numbers) to the loosest (addresses, entropy); a span overlapping one already taken is dropped, except that
 * an address absorbs the postcode or number inside it.
 */
export function findRedactions(text: string): RedactionSpan[] {
  const spans: RedactionSpan[] = [];
  const taken = (s: number, e: number) => spans.some((x) => s < x.end && e > x.start);
  const add = (start: number, end: number, kind: RedactionKind) => {
    if (end <= start) return;
    if (kind === 'ADDRESS') {
      // An address swallows phone-looking or postcode spans inside it, never secrets, e-mails or checksummed ids.
      const inside = spans.filter((x) => start < x.end && end > x.start);
      if (inside.some((x) => x.kind !== 'ADDRESS' && x.kind !== 'PHONE')) return;
      if (inside.some((x) => x.start < start || x.end > end)) {
        const merged = inside.every((x) => x.kind === 'ADDRESS');
        if (!merged) return;
        start = Math.min(start, ...inside.map((x) => x.start));
        end = Math.max(end, ...inside.map((x) => x.end));
      }
      for (const x of inside) spans.splice(spans.indexOf(x), 1);
      spans.push({ start, end, kind });
      return;
    }
    if (!taken(start, end)) spans.push({ start, end, kind });
  };
  const lower = text.toLowerCase();
  findSecrets(text, lower, add);
  findEmailsAndIps(text, add);
  let digitCount = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digitCount++;
  }
  if (digitCount >= 4) {
    findIbans(text, add);
    findCards(text, add, taken);
    findNationalIds(text, digitCount, add, taken);
    findPhones(text, add, taken);
  }
  if (digitCount > 0) findAddresses(text, add);
  return spans.sort((a, b) => a.start - b.start);
}

export function redact(text: string): RedactionResult {
  const counts: Partial<Record<RedactionKind, number>> = {};
  const spans = findRedactions(text);
  if (spans.length === 0) return { text, counts };
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + `[${s.kind}]`;
    at = s.end;
    counts[s.kind] = (counts[s.kind] ?? 0) + 1;
  }
  return { text: out + text.slice(at), counts };
}

/** Redacts every string of a value (messages inside objects and arrays too); other values pass unchanged. */
export function redactDeep<T>(value: T, counts: Partial<Record<RedactionKind, number>> = {}): T {
  if (typeof value === 'string') {
    const r = redact(value);
    for (const [k, n] of Object.entries(r.counts)) counts[k as RedactionKind] = (counts[k as RedactionKind] ?? 0) + (n ?? 0);
    return r.text as T;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, counts)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, counts)])) as T;
  return value;
}
