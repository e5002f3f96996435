import type { EventInput, UserInput } from '../../shared/event.js';
import { CREDIT_ALLOWANCE, addDays } from '../../shared/metrics.js';
import { seededDraws } from '../../shared/random.js';

/**
 * A deterministic synthetic product: users who sign up, chat, call tools, hit errors, run out of credits, ask for
 * features, state preferences and praise the product. Same options → byte-identical output.
 */
export interface DemoOptions {
  users?: number;
  days?: number;
  seed?: number;
  /** Last day (YYYY-MM-DD, UTC); default today. Fixed in tests so the data never depends on the clock. */
  endDay?: string;
  /**
   * The data stops at this instant (ISO 8601). Default: now when `endDay` is not given, so no demo event lies in the
   * future ("last active 22:35" at 11:00 would be wrong); the end of `endDay` when it is.
   */
  endAt?: string;
}

export interface DemoData {
  users: Array<UserInput & { created_at: string }>;
  events: Array<EventInput & { id: string; timestamp: string }>;
  range: { since: string; until: string };
}

/** The shared draws (src/shared/random.ts) plus the demo's ids. */
function rng(seed: number) {
  const draws = seededDraws(seed);
  const { next } = draws;
  return {
    ...draws,
    uuid: () => {
      // Four 32-bit draws → a version-4 layout; far cheaper than per-digit strings (the bench makes millions).
      const h = (n: number) => (Math.floor(n * 4294967296) >>> 0).toString(16).padStart(8, '0');
      const a = h(next());
      const b = h(next());
      const c = h(next());
      const d = h(next());
      const variant = ((parseInt(c[0], 16) & 0x3) | 0x8).toString(16);
      return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
    },
  };
}
type Rng = ReturnType<typeof rng>;

export const DEMO_TOOL_COSTS: Record<string, number> = { image_gen: 2, video_gen: 10, voice_gen: 3, upscale: 1, search: 0, music_gen: 4 };

const USE_CASES = {
  marketing_content: {
    weight: 35,
    tools: [['image_gen', 5], ['video_gen', 3], ['upscale', 2], ['search', 1]],
    prompts: [
      'Make an ad for my coffee shop launch',
      'Create a banner for our spring sale campaign',
      'I need a promo video for my product launch',
      'Design an Instagram ad for my bakery brand',
      'Make a marketing image for our new app',
      'Create a landing page hero image for my brand',
    ],
  },
  social_media_clip: {
    weight: 30,
    tools: [['video_gen', 5], ['voice_gen', 2], ['music_gen', 1], ['image_gen', 1]],
    prompts: [
      'Make a TikTok clip of a cat surfing',
      'Create a 15 second reel about morning routines',
      'Make a YouTube short intro for my channel',
      'Turn this idea into an Instagram story: sunset hike',
      'Make a funny reel for my followers',
    ],
  },
  personal_video: {
    weight: 20,
    tools: [['video_gen', 5], ['music_gen', 2], ['voice_gen', 1], ['upscale', 1]],
    prompts: [
      'Make a birthday video for my mom',
      'Create a wedding anniversary slideshow video',
      'Make a video of our family vacation in Italy',
      'Create a short video for my dog\'s birthday',
    ],
  },
  education: {
    weight: 8,
    tools: [['image_gen', 3], ['voice_gen', 2], ['search', 2]],
    prompts: ['Create an explainer image for my biology lesson', 'Make a tutorial voiceover for my students'],
  },
  research: {
    weight: 7,
    tools: [['search', 5], ['image_gen', 1]],
    prompts: ['Research the best video formats for ads', 'Compare pricing of stock footage sites'],
  },
} as const;
type UseCase = keyof typeof USE_CASES;

const STYLES = ['cinematic', 'cartoon', 'photorealistic', 'minimal', 'retro', 'anime'];
const TONES = ['playful', 'professional', 'warm', 'energetic'];
const ASPECTS = ['16:9', '9:16', '1:1'];
const ERRORS: ReadonlyArray<readonly [string, number]> = [['timeout', 5], ['content_policy', 2], ['rate_limited', 3], ['invalid_params', 1], ['model_overloaded', 2]];
const FEATURE_REQUESTS = [
  'Can you add subtitles to the video?',
  'I wish I could edit the video after it is generated',
  'Is there a way to export in 4K?',
  'Please add a background remover',
  'Can you make videos longer than 60 seconds?',
  'I wish there was a team plan',
  'Is there a way to schedule posts to TikTok?',
];
/** What a user says they want from now on (state.stated keeps what the profile builder reads from it). */
type Stated = { aspect_ratio?: string; style?: string; tone?: string };

/**
 * A lasting preference said in the chat, from one draw `x`. A first statement opens with one of four; a later one is,
 * more often than not, a change of mind about something said before (vertical → square, another style or tone), which
 * the profile builder marks as superseding the earlier statement.
 */
function preferenceStatement(x: number, favouriteStyle: string, stated: Stated): string {
  const keys = Object.keys(stated) as Array<keyof Stated>;
  if (keys.length > 0 && x < 0.6) {
    const pos = (x / 0.6) * keys.length;
    const key = keys[Math.floor(pos)];
    const frac = pos % 1;
    if (key === 'aspect_ratio') {
      if (stated.aspect_ratio === '9:16') return (stated.aspect_ratio = '1:1'), 'From now on make them square, it works better in the feed';
      return (stated.aspect_ratio = '9:16'), 'Always make it vertical again';
    }
    if (key === 'style') {
      const others = STYLES.filter((st) => st !== stated.style);
      const style = others[Math.floor(frac * others.length)];
      return (stated.style = style), `I prefer ${article(style)} ${style} style now`;
    }
    const others = TONES.filter((t) => t !== stated.tone);
    const tone = others[Math.floor(frac * others.length)];
    return (stated.tone = tone), `From now on use ${article(tone)} ${tone} tone`;
  }
  const opener = Math.floor((keys.length > 0 ? (x - 0.6) / 0.4 : x) * 4);
  if (opener === 0) return (stated.aspect_ratio = '9:16'), 'Always make it vertical';
  if (opener === 1) return (stated.style = favouriteStyle), `I prefer ${article(favouriteStyle)} ${favouriteStyle} style`;
  if (opener === 2) return 'Never add music please';
  return (stated.tone = 'warm'), 'From now on use a warm tone';
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** A style from one draw: what the user asked for when they said one, else their favourite half of the time. */
function styleFrom(x: number, favouriteStyle: string, stated: Stated): string {
  const preferred = stated.style ?? favouriteStyle;
  const keep = stated.style ? 0.9 : 0.5;
  return x < keep ? preferred : STYLES[Math.floor(((x - keep) / (1 - keep)) * STYLES.length)];
}
const PRAISE = ['I love this!', 'This is amazing', 'Wow, exactly what I needed', 'Love it, thank you'];
const SHARING = ['I shared this with my team', 'Sent it to my friends, they loved it', 'I invited my cofounder to try this'];
const BLOCKERS = ['It keeps failing, this doesn\'t work', 'I\'m stuck, the video won\'t render', 'Why did it fail again?'];
const FOLLOW_UPS = ['Make it brighter', 'Try a different style', 'Make it shorter', 'Add some text on top', 'Perfect, now a square version'];
const FIRST = ['maya', 'liam', 'sofia', 'noah', 'ava', 'lucas', 'mia', 'ethan', 'zoe', 'omar', 'lena', 'kai', 'nina', 'raj', 'ines', 'tom'];
const LAST = ['chen', 'garcia', 'smith', 'kim', 'novak', 'silva', 'okafor', 'muller', 'rossi', 'tanaka', 'haddad', 'berg'];

type Persona = 'power' | 'regular' | 'casual' | 'one_and_done' | 'no_show';
const PERSONAS: ReadonlyArray<readonly [Persona, number]> = [['power', 15], ['regular', 30], ['casual', 25], ['one_and_done', 20], ['no_show', 10]];
const DAILY_RETURN: Record<Persona, number> = { power: 0.6, regular: 0.3, casual: 0.12, one_and_done: 0, no_show: 0 };

const iso = (ms: number) => new Date(ms).toISOString();
const todayUtc = () => new Date().toISOString().slice(0, 10);

export function generateDemo(opts: DemoOptions = {}): DemoData {
  const userCount = opts.users ?? 100;
  const days = opts.days ?? 30;
  const r = rng(opts.seed ?? 42);
  const until = opts.endDay ?? todayUtc();
  const since = addDays(until, -(days - 1));
  const rangeStart = Date.parse(since + 'T00:00:00Z');
  const endOfDay = Date.parse(until + 'T23:59:59.999Z');
  const rangeEnd = Math.min(endOfDay, opts.endAt ? Date.parse(opts.endAt) : opts.endDay ? endOfDay : Date.now());

  const users: DemoData['users'] = [];
  const events: DemoData['events'] = [];

  for (let i = 0; i < userCount; i++) {
    const userId = `user_${String(i + 1).padStart(String(userCount).length, '0')}`;
    const first = r.pick(FIRST);
    // Signups lean toward the start of the window so retention has time to show.
    const signupMs = rangeStart + Math.floor(Math.pow(r.next(), 1.3) * (rangeEnd - rangeStart));
    users.push({ user_id: userId, email: `${first}.${r.pick(LAST)}${i + 1}@example.com`, created_at: iso(signupMs) });
    const persona = r.weighted(PERSONAS);
    if (persona === 'no_show') continue;
    const useCase = r.weighted(Object.entries(USE_CASES).map(([k, v]) => [k as UseCase, v.weight] as const));
    // A favourite style per user, from the seed and the user's number (no draw, so the rest of the data is unchanged).
    const favouriteStyle = STYLES[((Math.imul((opts.seed ?? 42) + 1, 2654435761) + Math.imul(i + 1, 40503)) >>> 0) % STYLES.length];
    const state: DemoUserState = { credits: 0, vertical: false, exhausted: false, favouriteStyle, stated: {} };
    let dayMs = signupMs;
    let session = 0;
    while (dayMs <= rangeEnd) {
      // First session starts minutes after signup; later ones at a random time of that day.
      const startMs = session === 0 ? signupMs + r.int(1, 30) * 60_000 : Date.parse(iso(dayMs).slice(0, 10) + 'T00:00:00Z') + r.int(6 * 60, 23 * 60) * 60_000;
      if (startMs > rangeEnd) break;
      // Now and then a second use case, so the off-vision signal and use-case shares have something to show.
      const uc: UseCase = r.chance(0.15) ? r.weighted(Object.entries(USE_CASES).map(([k, v]) => [k as UseCase, v.weight] as const)) : useCase;
      conversation(r, userId, uc, persona, startMs, rangeEnd, state, events);
      session++;
      if (persona === 'one_and_done') break;
      // Next active day: geometric gap by persona; someone who ran out of credits mostly stops coming back.
      let gap = 1;
      const p = DAILY_RETURN[persona] * (state.exhausted ? 0.3 : 1);
      while (!r.chance(p) && gap < 60) gap++;
      if (gap >= 60) break;
      dayMs = Date.parse(iso(startMs).slice(0, 10) + 'T00:00:00Z') + gap * 86_400_000;
    }
  }
  events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : 1));
  return { users, events, range: { since, until } };
}

interface DemoUserState {
  credits: number;
  vertical: boolean;
  exhausted: boolean;
  favouriteStyle: string;
  stated: Stated;
}

function conversation(
  r: Rng,
  userId: string,
  useCase: UseCase,
  persona: Persona,
  startMs: number,
  endMs: number,
  state: DemoUserState,
  out: DemoData['events'],
): void {
  const conversationId = r.uuid();
  let t = startMs;
  const push = (e: Omit<EventInput, 'conversation_id' | 'user_id'>) => {
    if (t > endMs) return false;
    out.push({ ...e, id: r.uuid(), conversation_id: conversationId, user_id: userId, timestamp: iso(t) } as DemoData['events'][number]);
    t += r.int(8, 90) * 1000;
    return true;
  };
  const say = (message: string, extra: Record<string, unknown> = {}) => push({ event_type: 'message', content: { role: 'user', message, ...extra } });
  const reply = (message: string) => push({ event_type: 'message', content: { role: 'assistant', message } });
  const spec = USE_CASES[useCase];
  say(r.pick(spec.prompts), { intent: useCase });

  const turns = persona === 'power' ? r.int(2, 6) : persona === 'regular' ? r.int(1, 4) : r.int(1, 2);
  let lastOk = false;
  let blockedByCredits = false;
  let failures = 0;
  for (let turn = 0; turn < turns; turn++) {
    if (turn > 0) {
      const roll = r.next();
      if (roll < 0.08) {
        say(preferenceStatement(r.next(), state.favouriteStyle, state.stated));
        state.vertical ||= true;
      } else if (roll < 0.16) say(r.pick(FEATURE_REQUESTS));
      else say(r.pick(FOLLOW_UPS));
    }
    const tool = r.weighted(spec.tools);
    const cost = DEMO_TOOL_COSTS[tool] ?? 1;
    // One draw each, as before the choices followed what the user said (the rest of the data stays the same).
    const params: Record<string, unknown> = { style: styleFrom(r.next(), state.favouriteStyle, state.stated) };
    const toneDraw = r.next();
    params.tone = state.stated.tone ?? TONES[Math.floor(toneDraw * TONES.length)];
    if (tool === 'video_gen' || tool === 'image_gen') params.aspect_ratio = state.vertical ? (state.stated.aspect_ratio ?? '9:16') : r.pick(ASPECTS);
    if (tool === 'video_gen' || tool === 'voice_gen' || tool === 'music_gen') params.duration = r.pick([5, 10, 15, 30, 60]);
    if (state.credits + cost > CREDIT_ALLOWANCE) {
      push({ event_type: 'tool_call', tool_name: tool, success: false, credits_consumed: 0, content: { tool, params, error: 'insufficient_credits' } });
      reply('You have used all your free credits.');
      state.exhausted = true;
      blockedByCredits = true;
      break;
    }
    // Errors are more frequent for video (heavier jobs).
    const failRate = tool === 'video_gen' ? 0.18 : tool === 'search' ? 0.03 : 0.08;
    if (r.chance(failRate)) {
      const error = r.weighted(ERRORS);
      push({ event_type: 'tool_call', tool_name: tool, success: false, credits_consumed: 0, content: { tool, params, error } });
      reply('Sorry, that did not work. Let me try again.');
      failures++;
      lastOk = false;
      if (failures >= 2 && r.chance(0.5)) say(r.pick(BLOCKERS));
      continue;
    }
    state.credits += cost;
    push({ event_type: 'tool_call', tool_name: tool, success: true, credits_consumed: cost, content: { tool, params, result: { url: `https://cdn.example.com/${tool}/${r.uuid().slice(0, 8)}` } } });
    reply(tool === 'search' ? 'Here is what I found.' : `Here is your ${tool.replace('_gen', '')}.`);
    lastOk = true;
  }
  if (lastOk && r.chance(persona === 'power' ? 0.35 : 0.15)) say(r.pick(PRAISE));
  if (lastOk && r.chance(persona === 'power' ? 0.15 : 0.04)) say(r.pick(SHARING));
  const status = blockedByCredits ? 'blocked_by_credits' : lastOk ? 'completed' : 'abandoned';
  push({ event_type: 'completion', completion_status: status, content: {} });
}
