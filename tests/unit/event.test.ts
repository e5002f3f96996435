import { describe, expect, it } from 'vitest';
import { InvalidEventError, toRow, validateEvents } from '../../src/main/ingest/capture.js';
import { EventInput, describeIssues, storedEventJson, toUserContextMessage, userContextJson, type StoredEvent } from '../../src/shared/event.js';

const base = { conversation_id: '0193a100-0000-7000-8000-000000000001', user_id: 'u1' };

describe('event schema and normalization', () => {
  it('fills id (UUIDv7), timestamp (now, UTC), content {}, credits 0; keeps completion_status in content', () => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    const row = toRow(EventInput.parse({ ...base, event_type: 'completion', completion_status: 'abandoned' }), now);
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row).toMatchObject({ timestamp: '2026-03-01T10:00:00.000Z', content: { completion_status: 'abandoned' }, credits_consumed: 0, tool_name: null, success: null });
  });

  it('converts an offset timestamp to UTC and takes tool_name from content.tool', () => {
    const row = toRow(EventInput.parse({ ...base, event_type: 'tool_call', timestamp: '2026-03-01T12:00:00+02:00', content: { tool: 'search' } }));
    expect(row.timestamp).toBe('2026-03-01T10:00:00.000Z');
    expect(row.tool_name).toBe('search');
    const at = (timestamp: string) => toRow(EventInput.parse({ ...base, event_type: 'message', timestamp })).timestamp;
    expect([at('2026-03-01T10:00:00.250Z'), at('2026-03-01T10:00:00Z'), at('2026-03-01T10:00:00.123456Z'), at('2024-02-29T23:59:59.5-01:00')]).toEqual([
      '2026-03-01T10:00:00.250Z',
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:00.123Z',
      '2024-03-01T00:59:59.500Z',
    ]);
  });

  it('rejects bad input with messages naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ ...base, event_type: 'click' }, 'event_type'],
      [{ ...base, user_id: '' }, 'user_id'],
      [{ ...base, event_type: 'message', credits_consumed: -1 }, 'credits_consumed'],
      [{ ...base, event_type: 'message', timestamp: '2026-03-01 10:00' }, 'timestamp'],
      [{ ...base, event_type: 'message', content: { role: 'robot' } }, 'content.role'],
      [{ ...base, event_type: 'completion', completion_status: 'done' }, 'completion_status'],
      [{ ...base, event_type: 'completion' }, 'completion_status'],
      [{ conversation_id: 'x', user_id: 'u1', event_type: 'message' }, 'conversation_id'],
    ];
    for (const [input, field] of cases) {
      const r = EventInput.safeParse(input);
      expect(r.success).toBe(false);
      expect(describeIssues(r.error!)).toContain(field);
    }
  });

  it('a completion may carry its status at the top level or inside content', () => {
    expect(EventInput.safeParse({ ...base, event_type: 'completion', content: { completion_status: 'completed' } }).success).toBe(true);
    expect(EventInput.safeParse({ ...base, event_type: 'completion', completion_status: 'blocked_by_credits' }).success).toBe(true);
  });

  it('validateEvents names the index of the bad event in a batch', () => {
    let err: unknown;
    try {
      validateEvents([{ ...base, event_type: 'message' }, { ...base, event_type: 'message', success: 'yes' }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).issues.map((i) => i.path)).toEqual(['[1].success']);
    expect((err as Error).message).toContain('[1].success');
  });

  it("maps a stored event to the seed's user_context message", () => {
    const e: StoredEvent = { id: 'e1', conversation_id: 'c1', user_id: 'u1', timestamp: '2026-03-01T10:00:00.000Z', event_type: 'tool_call', content: { params: { n: 1 } }, tool_name: 'image_gen', success: false, credits_consumed: 2 };
    expect(toUserContextMessage(e)).toEqual({ userId: 'u1', event: 'new_interaction', data: { message: null, toolCalls: [{ tool: 'image_gen', params: { n: 1 }, success: false }] } });
    expect(toUserContextMessage({ ...e, event_type: 'message', tool_name: null, content: { message: 'hi' } })).toEqual({ userId: 'u1', event: 'new_interaction', data: { message: 'hi', toolCalls: [] } });
  });

  it('writes the stream entry and the user_context message from content as JSON text, as JSON.stringify would', () => {
    const base: StoredEvent = { id: 'e1', conversation_id: 'c1', user_id: 'u "1"\n', timestamp: '2026-03-01T10:00:00.000Z', event_type: 'tool_call', content: {}, tool_name: 'image_gen', success: true, credits_consumed: 2 };
    const cases: StoredEvent[] = [
      { ...base, content: { params: { n: 1, s: 'a\tb' } } },
      { ...base, content: { params: null, message: 42 } }, // params present but null; a message that is not a string
      { ...base, content: { message: 'hi ünï 🎬', role: 'user' }, event_type: 'message', tool_name: null, success: null },
      { ...base, tool_name: null, content: { params: { n: 1 } } }, // a tool call without its tool: no toolCalls
      { ...base, conversation_id: null as unknown as string, credits_consumed: null, success: false, content: { nested: [1, { a: null }] } },
    ];
    for (const e of cases) {
      const { content, ...fields } = e;
      const message = typeof content.message === 'string' ? content.message : null;
      const params = content.params === undefined ? null : JSON.stringify(content.params);
      expect(storedEventJson(fields, JSON.stringify(content))).toBe(JSON.stringify(e));
      expect(JSON.parse(userContextJson(e, message, params))).toEqual(toUserContextMessage(e));
      expect(userContextJson(e, message, params)).toBe(JSON.stringify(toUserContextMessage(e)));
    }
  });
});
