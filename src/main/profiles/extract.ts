/**
 * Evidence extracted from single events: the tool parameters a user chose, the preferences a user stated, and the
 * normalized pattern of a request. Deterministic and local; each rule is pinned by tests/unit/preference-extract.test.ts.
 */

/** Parameters that carry the content of one request, not a taste: never preferences. */
const FREE_TEXT_KEYS = new Set([
  'prompt', 'negative_prompt', 'query', 'q', 'text', 'message', 'input', 'url', 'urls', 'image', 'image_url', 'video_url',
  'seed', 'id', 'file', 'files', 'path', 'title', 'description', 'caption', 'script', 'lyrics', 'name', 'email',
]);

/** Keys that mean the same thing under different names in different tools. */
const KEY_ALIASES: Record<string, string> = { ratio: 'aspect_ratio', aspect: 'aspect_ratio', orientation: 'aspect_ratio', length: 'duration' };

const ORIENTATION_TO_RATIO: Record<string, string> = { vertical: '9:16', portrait: '9:16', horizontal: '16:9', landscape: '16:9', widescreen: '16:9', square: '1:1' };

export interface ObservedChoice {
  key: string;
  value: string;
}

function normalizeValue(key: string, value: string): string {
  const v = value.trim().toLowerCase();
  if (key === 'aspect_ratio') return ORIENTATION_TO_RATIO[v] ?? v.replace(/\s+/g, '');
  return v;
}

/** Tool parameters that look like a choice among options (short categorical values), normalized. */
export function observedChoices(params: unknown): ObservedChoice[] {
  if (!params || typeof params !== 'object' || Array.isArray(params)) return [];
  const out: ObservedChoice[] = [];
  for (const [rawKey, raw] of Object.entries(params as Record<string, unknown>)) {
    const k = rawKey.trim().toLowerCase().replace(/[\s-]+/g, '_');
    if (!k || k.length > 40 || FREE_TEXT_KEYS.has(k)) continue;
    const key = KEY_ALIASES[k] ?? k;
    let value: string;
    if (typeof raw === 'string') {
      // More than three words is a description, not a choice.
      if (raw.length === 0 || raw.length > 32 || raw.trim().split(/\s+/).length > 3) continue;
      value = raw;
    } else if (typeof raw === 'number' && Number.isFinite(raw)) {
      value = String(raw);
    } else if (typeof raw === 'boolean') {
      value = String(raw);
    } else continue;
    out.push({ key, value: normalizeValue(key, value) });
  }
  return out;
}

/** Vocabulary of stated preferences: a word in a preference sentence → (key, value). */
const STYLE_WORDS = ['cinematic', 'anime', 'photorealistic', 'realistic', 'watercolor', 'minimalist', 'minimal', 'cartoon', 'pixel art', 'vintage', 'retro', '3d', 'sketch', 'oil painting', 'comic', 'noir', 'neon', 'documentary'];
const TONE_WORDS = ['professional', 'casual', 'friendly', 'formal', 'playful', 'funny', 'humorous', 'serious', 'energetic', 'calm', 'inspirational', 'warm'];
const LANGUAGES = ['english', 'spanish', 'french', 'german', 'portuguese', 'italian', 'japanese', 'chinese', 'korean', 'hindi', 'arabic', 'dutch'];

// A sentence states a lasting preference only with one of these markers ("make it vertical" alone is one request).
const PREFERENCE_MARKER = /\b(always|from now on|by default|every time|everything|all (?:my|of my|the) |i (?:really )?(?:prefer|like|love)\b|i (?:want|need) (?:my |all |them |it |everything |things )|i(?:'d| would) (?:rather|prefer)|my (?:preferred|favou?rite)|please (?:keep|use|make) (?:all|them|everything|it always))/i;
const NEGATION = /\b(don'?t|do not|never|no more|stop|not|without|instead of|hate)\b/i;

export interface StatedPreference {
  key: string;
  value: string;
  excerpt: string;
}

function sentenceOf(text: string): string[] {
  return text.split(/(?<=[.!?;\n])\s+/).map((s) => s.trim()).filter(Boolean);
}

const wordRe = (w: string) => new RegExp(`\\b${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[ -]')}\\b`, 'i');

/**
 * Preferences a user states in a message, e.g. "always make it vertical" → aspect_ratio 9:16, "I prefer a professional
 * tone" → tone professional, "keep videos under 15 seconds by default" → duration 15. Sentences with a negation are not
 * read (a "never vertical" must not become "vertical"); a later statement of another value supersedes.
 */
export function statedPreferences(message: string): StatedPreference[] {
  const out = new Map<string, StatedPreference>();
  for (const sentence of sentenceOf(message.slice(0, 2000))) {
    if (!PREFERENCE_MARKER.test(sentence) || NEGATION.test(sentence)) continue;
    const excerpt = sentence.slice(0, 160);
    const add = (key: string, value: string) => out.set(key, { key, value, excerpt });
    for (const [word, ratio] of Object.entries(ORIENTATION_TO_RATIO)) if (wordRe(word).test(sentence)) add('aspect_ratio', ratio);
    const ratio = sentence.match(/\b(\d{1,2})\s*:\s*(\d{1,2})\b/);
    if (ratio) add('aspect_ratio', `${ratio[1]}:${ratio[2]}`);
    for (const w of STYLE_WORDS) if (wordRe(w).test(sentence)) add('style', w);
    for (const w of TONE_WORDS) if (wordRe(w).test(sentence)) add('tone', w === 'humorous' ? 'funny' : w);
    for (const w of LANGUAGES) if (wordRe(`in ${w}`).test(sentence)) add('language', w);
    const seconds = sentence.match(/\b(\d{1,3})\s*(?:s|sec|secs|seconds?)\b/i);
    if (seconds) add('duration', seconds[1]);
  }
  return [...out.values()];
}

const FILLER = /^(?:please |pls |can you |could you |would you |i want you to |i want |i need |i'd like |help me |hey |hi |ok |okay )+/;

/**
 * A request reduced to its pattern: lower case, no punctuation, numbers as #, leading politeness removed, at most
 * 80 characters on a word boundary. "Please make 3 product videos!" and "make 5 product videos" share one pattern.
 */
// Compiled once: a Unicode property class rebuilt per message made the pattern the builder's slowest step.
const URL_RE = /https?:\/\/\S+/g;
const NOT_WORD_RE = /[^\p{L}\p{N}\s#]/gu;
const DIGITS_RE = /\d+/g;
const SPACES_RE = /\s+/g;

export function promptPattern(message: string): string | null {
  let p = message.toLowerCase().replace(URL_RE, 'url').replace(NOT_WORD_RE, ' ').replace(DIGITS_RE, '#').replace(SPACES_RE, ' ').trim();
  p = p.replace(FILLER, '').trim();
  if (p.length < 3) return null;
  if (p.length > 80) p = p.slice(0, 80).replace(/\s+\S*$/, '');
  return p;
}
