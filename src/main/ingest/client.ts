import type pg from 'pg';
import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import { IsoTimestamp, type EventInput, type UserInput } from '../../shared/event.js';
import { createPool } from '../db/pg.js';
import { InvalidEventError, AGGREGATE_APPLY_MODES, captureSlots, identifyUser, trackEvents, type StoreOptions, type TrackResult } from './capture.js';

export interface ToolCall {
  tool: string;
  params?: Record<string, unknown>;
  success?: boolean;
  credits?: number;
  result?: unknown;
  error?: string;
}

export interface ProcessMessageInput {
  userId: string;
  conversationId: string;
  message: string;
  toolCalls?: ToolCall[];
  /** The assistant's reply, stored as a second message event with role "assistant". */
  result?: string;
  timestamp?: string;
  /**
   * Id of the user's message event. Give it to make a retry safe: the other events' ids are derived from it, so
   * calling processMessage again with the same id stores nothing twice (reported as duplicates).
   */
  id?: string;
}

// Namespace for the ids derived from a message id (tool calls, reply): any fixed UUID works.
const DERIVED_IDS = 'a3f1c0de-5b7e-4c1a-9e55-2d8f6b0c7e11';

/**
 * The library the chat platform imports: the seed's processMessage() flow. Everything goes through trackEvents(),
 * the same path as HTTP ingest, so aggregates, idempotency and publication (outbox) behave identically.
 */
export class UisClient {
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly store: StoreOptions;

  /**
   * `captureConcurrency`: batches stored at once by this client (default 2; more wait their turn, see captureSlots()).
   * `aggregates`: 'after-commit' (default) applies each batch's conversation and profile aggregates before track()
   * returns; 'applier' returns at the commit and leaves them to the applier of a `uis serve` running on the same
   * database (docs/capture.md, "Aggregates after the commit").
   */
  constructor(opts: ({ databaseUrl: string } | { pool: pg.Pool }) & { captureConcurrency?: number; aggregates?: StoreOptions['aggregates'] }) {
    // From JavaScript a misspelt mode would skip applying the aggregates and leave them to an applier that may not run.
    if (opts.aggregates !== undefined && !AGGREGATE_APPLY_MODES.includes(opts.aggregates)) {
      throw new RangeError(`aggregates must be ${AGGREGATE_APPLY_MODES.map((m) => `'${m}'`).join(' or ')} (got ${JSON.stringify(opts.aggregates)})`);
    }
    this.ownsPool = 'databaseUrl' in opts;
    this.pool = 'pool' in opts ? opts.pool : createPool(opts.databaseUrl, { applicationName: 'uis-client' });
    this.store = { slots: captureSlots(opts.captureConcurrency), aggregates: opts.aggregates };
  }

  track(events: EventInput | EventInput[]): Promise<TrackResult> {
    return trackEvents(this.pool, Array.isArray(events) ? events : [events], this.store);
  }

  identify(user: UserInput): Promise<void> {
    return identifyUser(this.pool, user);
  }

  /**
   * Stores the user's message, each tool call (a failed one with success=false and its error) and the reply. Invalid
   * input throws InvalidEventError naming the events built from it: [0] is the message, then the tool calls, the reply.
   */
  processMessage(input: ProcessMessageInput): Promise<TrackResult> {
    const base = { conversation_id: input.conversationId, user_id: input.userId };
    if (input.timestamp !== undefined) {
      const t = IsoTimestamp.safeParse(input.timestamp);
      if (!t.success) return Promise.reject(new InvalidEventError([{ path: 'timestamp', message: t.error.issues[0].message }]));
    }
    const ts = new Date(input.timestamp ?? Date.now()).getTime();
    let step = 0;
    // Consecutive milliseconds keep the order of the parts within one message.
    const at = () => new Date(ts + step++).toISOString();
    const messageId = input.id;
    const nextId = () => (messageId ? uuidv5(`${messageId}:${step}`, DERIVED_IDS) : uuidv7());
    const events: EventInput[] = [
      { ...base, id: messageId ?? uuidv7(), timestamp: at(), event_type: 'message', content: { role: 'user', message: input.message } },
    ];
    for (const call of input.toolCalls ?? []) {
      const ok = call.success ?? !call.error;
      events.push({
        ...base,
        id: nextId(),
        timestamp: at(),
        event_type: 'tool_call',
        tool_name: call.tool,
        success: ok,
        credits_consumed: call.credits ?? 0,
        content: { tool: call.tool, params: call.params, result: call.result, ...(call.error ? { error: call.error } : {}) },
      });
    }
    if (input.result !== undefined) {
      events.push({ ...base, id: nextId(), timestamp: at(), event_type: 'message', content: { role: 'assistant', message: input.result } });
    }
    return this.track(events);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
