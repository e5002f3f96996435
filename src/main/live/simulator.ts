import { v7 as uuidv7 } from 'uuid';
import type { StoredEvent } from '../../shared/event.js';
import { seededDraws, type SeededDraws } from '../../shared/random.js';
import type { InProcessBus } from './bus.js';

const REQUESTS = [
  'Make a 15 second ad for my coffee brand', 'A tiktok clip of my dog surfing', 'Birthday video for my mom', 'Logo for my bakery',
  'Product launch teaser, cinematic', 'Explain photosynthesis with a short animation', 'Instagram reel for our summer sale',
  'Always make it vertical', 'I prefer a cinematic style', 'Make it brighter', 'Try a different style', 'Find me stock footage of Paris',
];
const STYLES = ['cinematic', 'cartoon', 'photorealistic', 'anime', 'retro'];
const ASPECTS = ['9:16', '16:9', '1:1'];
const ERRORS = ['timeout', 'content_policy', 'rate_limited', 'model_overloaded', 'insufficient_credits'];
const TOOLS: Array<[string, number]> = [['image_gen', 2], ['video_gen', 10], ['search', 1]];

export interface SimulatorOptions {
  /** Events per second (default 4: a lively small product). */
  rate?: number;
  /** User ids to speak as (the demo workspace's users, so a click opens a real drill-down). */
  users?: string[];
  seed?: number;
}

interface Open {
  conversationId: string;
  userId: string;
  step: number;
}

/**
 * Produces realistic live events for the demo workspace on an in-process bus: conversations that start with a request,
 * call tools with parameters, sometimes fail, and complete (or run out of credits).
 */
export class LiveSimulator {
  private timer: NodeJS.Timeout | null = null;
  private readonly r: SeededDraws;
  private readonly open: Open[] = [];
  private carry = 0;
  private rate: number;
  private readonly users: string[];

  constructor(
    private readonly bus: InProcessBus,
    opts: SimulatorOptions = {},
  ) {
    this.r = seededDraws(opts.seed ?? 7);
    this.rate = opts.rate ?? 4;
    this.users = opts.users?.length ? opts.users : Array.from({ length: 100 }, (_, i) => `user_${String(i + 1).padStart(3, '0')}`);
  }

  setRate(rate: number): void {
    this.rate = rate;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(100), 100);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Emits the events due in `ms` milliseconds at the current rate. */
  tick(ms: number): void {
    this.carry += (this.rate * ms) / 1000;
    const n = Math.floor(this.carry);
    this.carry -= n;
    if (n > 0) this.bus.publish(Array.from({ length: n }, () => this.next()));
  }

  next(): StoredEvent {
    const r = this.r;
    // Keep ~ rate/2 conversations going at once; each step advances one of them.
    if (this.open.length < Math.max(3, this.rate / 2) || r.next() < 0.15) {
      this.open.push({ conversationId: uuidv7(), userId: r.pick(this.users), step: 0 });
    }
    const i = Math.floor(r.next() * this.open.length);
    const c = this.open[i];
    const base = { id: uuidv7(), conversation_id: c.conversationId, user_id: c.userId, timestamp: new Date().toISOString() };
    c.step++;
    if (c.step === 1) {
      return { ...base, event_type: 'message', content: { role: 'user', message: r.pick(REQUESTS) }, tool_name: null, success: null, credits_consumed: 0 };
    }
    const roll = r.next();
    if (c.step > 2 && roll < 0.25) {
      this.open.splice(i, 1);
      const status = r.next() < 0.12 ? 'blocked_by_credits' : r.next() < 0.2 ? 'abandoned' : 'completed';
      return { ...base, event_type: 'completion', content: { completion_status: status }, tool_name: null, success: null, credits_consumed: 0 };
    }
    if (roll < 0.35) {
      return { ...base, event_type: 'message', content: { role: r.next() < 0.5 ? 'user' : 'assistant', message: r.pick(REQUESTS) }, tool_name: null, success: null, credits_consumed: 0 };
    }
    const [tool, credits] = r.pick(TOOLS);
    if (r.next() < 0.08) {
      return { ...base, event_type: 'error', content: { error: r.pick(ERRORS), tool }, tool_name: tool, success: false, credits_consumed: 0 };
    }
    return {
      ...base,
      event_type: 'tool_call',
      content: { tool, params: { style: r.pick(STYLES), aspect_ratio: r.pick(ASPECTS) } },
      tool_name: tool,
      success: true,
      credits_consumed: credits,
    };
  }
}
