import { describe, expect, it } from 'vitest';
import { CapturedEvents } from '../../src/main/stream/captured.js';
import { toUserContextMessage, type StoredEvent } from '../../src/shared/event.js';

const event = (id: string): StoredEvent => ({ id, conversation_id: 'c', user_id: 'u', timestamp: '2026-01-01T00:00:00.000Z', event_type: 'message', content: {}, tool_name: null, success: null, credits_consumed: 0 });

describe('CapturedEvents (events ingest hands to the relay of the same process)', () => {
  it('remembers nothing while the relay does not lead, and forgets everything when it stops leading', () => {
    const c = new CapturedEvents();
    c.remember('a', '{}', event('a'));
    expect(c.size).toBe(0);
    c.setEnabled(true);
    c.remember('a', '{"id":"a"}', event('a'));
    expect(c.take('a')?.json).toBe('{"id":"a"}');
    expect(c.take('a')).toBeUndefined(); // taken once
    c.remember('b', '{}', event('b'));
    c.setEnabled(false);
    expect(c.size).toBe(0);
  });

  it("keeps each event's stream entry and its user_context message as written by JSON.stringify", () => {
    const c = new CapturedEvents();
    c.setEnabled(true);
    const call: StoredEvent = { ...event('t'), event_type: 'tool_call', tool_name: 'video_gen', success: true, content: { tool: 'video_gen', params: { seconds: 15, style: 'ünï "x"' } } };
    const said: StoredEvent = { ...event('m'), content: { role: 'user', message: 'make a video\n' } };
    for (const e of [call, said, event('x')]) c.remember(e.id, JSON.stringify(e), e);
    for (const e of [call, said, event('x')]) expect(c.take(e.id)).toMatchObject({ json: JSON.stringify(e), context: JSON.stringify(toUserContextMessage(e)) });
  });

  it('drops the oldest entries beyond its size and entries older than its age limit', () => {
    const c = new CapturedEvents(3, 1000);
    c.setEnabled(true);
    for (const id of ['a', 'b', 'c', 'd']) c.remember(id, '{}', event(id), 0);
    expect(c.size).toBe(3);
    expect(c.take('a')).toBeUndefined();
    expect(c.take('b')).toBeDefined();
    c.remember('e', '{}', event('e'), 1500); // c and d were remembered at 0: older than 1,000 ms
    expect(['c', 'd', 'e'].map((id) => c.take(id) !== undefined)).toEqual([false, false, true]);
  });
});
