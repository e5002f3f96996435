import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { InvalidEventError, validateEvents } from '../../src/main/ingest/capture.js';
import { UisClient } from '../../src/main/ingest/client.js';
import { ContextParams } from '../../src/shared/context.js';
import { EventBatch, EventInput, IsoTimestamp, UserInput, describeIssues } from '../../src/shared/event.js';
import { MAX_CONTENT_DEPTH, formatPath, storableIssues, textProblem } from '../../src/shared/storable.js';

const base = { conversation_id: '0193a100-0000-7000-8000-000000000001', user_id: 'u1', event_type: 'message' as const };
const nest = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};
const issuesOf = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  (r.error?.issues ?? []).map((i) => `${formatPath(i.path)}: ${i.message}`);

describe('textProblem', () => {
  it('accepts any well-formed text, astral characters and U+FFFD included', () => {
    for (const s of ['', 'plain', 'café', '日本語', '👍🏽 thanks', '\ufffd', 'tab\tnew\nline', '\u0001\u001f']) expect(textProblem(s)).toBeNull();
  });
  it('refuses NUL and every kind of unpaired surrogate, naming the code unit', () => {
    expect(textProblem('a\u0000b')).toBe('contains a NUL character (U+0000), which PostgreSQL cannot store');
    expect(textProblem('\ud800')).toContain('(\\uD800)');
    expect(textProblem('x\udc00')).toContain('(\\uDC00)');
    expect(textProblem('\ude00\ud83d')).toContain('(\\uDE00)'); // a pair in the wrong order
    expect(textProblem('thanks \ud83d')).toContain('(\\uD83D)'); // half an emoji, cut at a length limit
  });
});

describe('storableIssues', () => {
  it('names each value at fault by its path, in document order, keys included', () => {
    const value = { a: 'ok', b: ['x', 'y\u0000'], c: { 'k\u0000': 1, d: '\udfff' }, e: Infinity, f: 2 ** 60, g: 1.5e300, h: -0, i: null, j: true };
    expect(storableIssues(value, { maxDepth: 32 }).map((i) => `${formatPath(i.path)}: ${i.message.split(' (')[0].split(',')[0]}`)).toEqual([
      'b[1]: contains a NUL character',
      'c["k\\u0000"]: the key contains a NUL character',
      'c.d: contains an unpaired surrogate',
      'e: is not a finite number',
      'f: is an integer beyond ±9007199254740991',
      'g: is an integer beyond ±9007199254740991', // 1.5e300 has no fraction: JSON cannot say which integer was meant
    ]);
  });

  it('counts depth without recursion: 100,000 levels are refused at the first level past the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const issues = storableIssues(deep, { maxDepth: 32 });
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toHaveLength(32);
    expect(storableIssues(nest(32), { maxDepth: 32 })).toEqual([]);
    expect(storableIssues(nest(33), { maxDepth: 32 })).toHaveLength(1);
  });

  it('refuses what JSON has no form for (the library door), honours toJSON, skips undefined properties', () => {
    class Point {
      x = 1;
    }
    const issues = storableIssues({ big: 10n, fn: () => 1, map: new Map(), point: new Point(), arr: [undefined], when: new Date(0), skipped: undefined }, { maxDepth: 32 });
    expect(issues.map((i) => `${formatPath(i.path)}: ${i.message}`)).toEqual([
      'big: is a bigint, which JSON cannot hold',
      'fn: is a function, which JSON cannot hold',
      'map: is a Map, not a plain JSON object',
      'point: is a Point, not a plain JSON object',
      'arr[0]: is undefined, which JSON cannot hold',
    ]);
  });

  it('refuses __proto__ keys and a constructor holding prototype (zod would drop them silently)', () => {
    const parsed = JSON.parse('{"__proto__": {"admin": true}, "x": {"constructor": {"prototype": {}}}}') as unknown;
    expect(storableIssues(parsed, { maxDepth: 32 }).map((i) => formatPath(i.path))).toEqual(['__proto__', 'x.constructor']);
  });

  it('stops after 20 issues', () => {
    expect(storableIssues(Array.from({ length: 1000 }, () => '\u0000'), { maxDepth: 32 })).toHaveLength(20);
  });
});

describe('the ingest schemas (HTTP and the library take the same ones)', () => {
  it(`EventInput: content may nest ${MAX_CONTENT_DEPTH} levels (content itself the first), not one more`, () => {
    expect(EventInput.safeParse({ ...base, content: nest(MAX_CONTENT_DEPTH) }).success).toBe(true);
    const r = EventInput.safeParse({ ...base, content: nest(MAX_CONTENT_DEPTH + 1) });
    expect(issuesOf(r)).toEqual([`content${'.a'.repeat(MAX_CONTENT_DEPTH)}: nests objects and arrays deeper than 32 levels (content itself is the first)`]);
  });

  it('EventInput: NUL, lone surrogates and bad numbers anywhere in the event, with their paths', () => {
    const r = EventInput.safeParse({ ...base, user_id: 'u\u0000', tool_name: 'x\ud800', content: { params: { x: 'a\u0000' }, score: Number.NaN } });
    expect(issuesOf(r).map((l) => l.split(':')[0])).toEqual(['user_id', 'tool_name', 'content.params.x', 'content.score']);
  });

  it('EventBatch: a mixed batch names the bad events by index, the good ones are not mentioned', () => {
    const r = EventBatch.safeParse({ events: [base, base, base, { ...base, content: { params: { x: '\u0000' } } }, { ...base, timestamp: '9999-12-31T23:59:59-23:59' }] });
    expect(describeIssues(r.error!)).toBe(
      'events[3].content.params.x: contains a NUL character (U+0000), which PostgreSQL cannot store; ' +
        'events[4].timestamp: out of range: in UTC it must fall within 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z',
    );
  });

  it('IsoTimestamp: the range is checked in UTC, after the offset', () => {
    const ok = (s: string) => IsoTimestamp.safeParse(s).success;
    expect([ok('0001-01-01T00:00:00Z'), ok('0001-01-01T00:00:00-01:00'), ok('9999-12-31T23:59:59.999Z'), ok('9999-12-31T20:00:00+03:00')]).toEqual([true, true, true, true]);
    expect([ok('0001-01-01T00:00:00+14:00'), ok('9999-12-31T23:59:59-23:59'), ok('0000-06-01T00:00:00Z')]).toEqual([false, false, false]);
    expect(IsoTimestamp.safeParse('yesterday').error!.issues).toHaveLength(1); // the format, not also the range
  });

  it('UserInput and ContextParams: the one UserId rule', () => {
    expect(issuesOf(UserInput.safeParse({ user_id: 'u\ud800' }))).toEqual(['user_id: contains an unpaired surrogate (\\uD800), which is not valid Unicode']);
    expect(issuesOf(UserInput.safeParse({ user_id: 'u', created_at: '0001-01-01T00:00:00+14:00' }))[0]).toMatch(/^created_at: out of range/);
    expect(issuesOf(ContextParams.safeParse({ id: 'a\u0000' }))).toEqual(['id: contains a NUL character (U+0000), which PostgreSQL cannot store']);
    expect(issuesOf(ContextParams.safeParse({ id: '' }))).toEqual(['id: must not be empty']);
  });

  it('validateEvents (UisClient.track) throws InvalidEventError with the same paths, index first', () => {
    let err: unknown;
    try {
      validateEvents([base, { ...base, content: { result: ['ok', '\udc00'] } }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).issues).toEqual([{ path: '[1].content.result[1]', message: 'contains an unpaired surrogate (\\uDC00), which is not valid Unicode' }]);
  });

  it('UisClient.processMessage and identify refuse before touching the database (the pool here cannot answer)', async () => {
    const client = new UisClient({ pool: {} as pg.Pool });
    const msg = { userId: 'u1', conversationId: base.conversation_id, message: 'hi' };
    const reasons = await Promise.all([
      client.processMessage({ ...msg, timestamp: 'soon' }).catch((e: unknown) => e),
      client.processMessage({ ...msg, timestamp: '0001-01-01T00:00:00+14:00' }).catch((e: unknown) => e),
      client.processMessage({ ...msg, message: 'a\u0000b', toolCalls: [{ tool: 'search', params: { q: '\ud800' } }] }).catch((e: unknown) => e),
      client.identify({ user_id: 'u\u0000' }).catch((e: unknown) => e),
    ]);
    for (const r of reasons) expect(r).toBeInstanceOf(InvalidEventError);
    expect(reasons.map((r) => (r as InvalidEventError).issues.map((i) => i.path))).toEqual([['timestamp'], ['timestamp'], ['[0].content.message', '[1].content.params.q'], ['user_id']]);
  });
});
