/**
 * The malformed-input corpus: requests a careless, buggy or hostile client sends to `uis serve`, one row each, with
 * the answer expected. Written by hand as data (not generated from the server's own rules), across every route the
 * service registers (src/main/server/app.ts: /healthz; src/main/ingest/routes.ts: POST /v1/events, POST /v1/users;
 * src/main/context/routes.ts: GET /v1/users/:id/context; src/main/forget/routes.ts: DELETE /v1/users/:id;
 * src/main/server/rpc.ts: POST /rpc/:channel, GET /rpc/events) and the HTTP layer under them.
 *
 * Each row is refused: a 4xx whose message names the field, parameter or header at fault (`names`), and nothing is
 * stored (tests/integration/malformed-input.test.ts checks every table's row count and the stream's length).
 */

export const TOKEN = 'malformed-token-0123456789';
export const CONV = '0193a500-0000-7000-8000-000000000001';
/** A user stored before the corpus runs (context and forget of an existing id). */
export const KNOWN_USER = 'corpus-known-user';

export interface MalformedCase {
  name: string;
  /** The route (or layer) the case aims at; set by the table it is in. */
  route?: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** As sent on the request line (already percent-encoded where the case needs it). */
  path: string;
  /** The body's bytes: a string is sent as UTF-8; a Buffer as it is. */
  body?: string | Buffer;
  /** Replace default headers; null removes one (Authorization: Bearer TOKEN, and Content-Type: application/json with a body). */
  headers?: Record<string, string | null>;
  /** Bytes written on a bare socket: what HTTP clients refuse to send (NUL in a header, a broken request line). */
  raw?: string | Buffer;
  status: number;
  /** Text the answer's message must contain: the field, parameter or header at fault. */
  names: string;
}

const j = (v: unknown) => JSON.stringify(v);
const ev = (over: Record<string, unknown> = {}) => ({
  conversation_id: CONV,
  user_id: 'corpus-user',
  event_type: 'message',
  content: { role: 'user', message: 'make a video' },
  ...over,
});
const content = (c: Record<string, unknown>) => ev({ content: { role: 'user', message: 'hi', ...c } });
const batch = (...events: unknown[]) => j({ events });
const goodEvents = (n: number) => Array.from({ length: n }, (_, i) => ev({ id: `0193a500-0000-7000-8000-${(0x100 + i).toString(16).padStart(12, '0')}` }));
const nestObjects = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const nestArrays = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);
/** A valid event's JSON with `message`'s value replaced by raw bytes. */
const withRawMessage = (bytes: number[]) => {
  const [head, tail] = j(ev({ content: { message: '@@' } })).split('@@');
  return Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
};
const rawUser = (bytes: number[]) => Buffer.concat([Buffer.from('{"user_id":"'), Buffer.from(bytes), Buffer.from('"}')]);
const long = (n: number, c = 'x') => c.repeat(n);

const EVENTS: MalformedCase[] = [
  // JSON that does not parse
  { name: 'truncated object', method: 'POST', path: '/v1/events', body: '{"conversation_id": "x"', status: 400, names: '(body)' },
  { name: 'truncated batch', method: 'POST', path: '/v1/events', body: '{"events": [}', status: 400, names: '(body)' },
  { name: 'trailing comma', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',}', status: 400, names: '(body)' },
  { name: 'single quotes', method: 'POST', path: '/v1/events', body: "{'user_id': 'a'}", status: 400, names: '(body)' },
  { name: 'NaN literal', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":NaN}', status: 400, names: '(body)' },
  { name: 'Infinity literal', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":Infinity}', status: 400, names: '(body)' },
  { name: 'JavaScript comment', method: 'POST', path: '/v1/events', body: '// events\n' + j(ev()), status: 400, names: '(body)' },
  { name: 'unquoted keys', method: 'POST', path: '/v1/events', body: '{user_id: "a", event_type: "message"}', status: 400, names: '(body)' },
  { name: 'two documents', method: 'POST', path: '/v1/events', body: j(ev()) + j(ev()), status: 400, names: '(body)' },
  { name: 'NDJSON instead of a batch', method: 'POST', path: '/v1/events', body: j(ev()) + '\n' + j(ev()) + '\n', status: 400, names: '(body)' },
  { name: 'plain words', method: 'POST', path: '/v1/events', body: 'hello', status: 400, names: '(body)' },
  { name: 'empty body', method: 'POST', path: '/v1/events', body: '', status: 400, names: '(body)' },
  { name: 'whitespace body', method: 'POST', path: '/v1/events', body: ' \n\t ', status: 400, names: '(body)' },
  { name: 'invalid escape \\x', method: 'POST', path: '/v1/events', body: '{"user_id": "\\x41"}', status: 400, names: '(body)' },
  { name: 'unterminated string', method: 'POST', path: '/v1/events', body: '{"user_id": "abc}', status: 400, names: '(body)' },
  { name: 'raw newline inside a string', method: 'POST', path: '/v1/events', body: j(ev()).replace('make a video', 'make a\nvideo'), status: 400, names: '(body)' },
  { name: 'raw NUL byte inside a string', method: 'POST', path: '/v1/events', body: j(ev()).replace('make a video', 'make a\u0000video'), status: 400, names: '(body)' },
  { name: 'hex number', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":0x10}', status: 400, names: '(body)' },
  { name: 'leading zero number', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":007}', status: 400, names: '(body)' },
  { name: '__proto__ key (prototype poisoning)', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"__proto__":{"admin":true}}', status: 400, names: '__proto__' },
  { name: '__proto__ inside content', method: 'POST', path: '/v1/events', body: j(ev()).replace('"role"', '"__proto__":{"x":1},"role"'), status: 400, names: '__proto__' },
  { name: 'constructor.prototype inside content', method: 'POST', path: '/v1/events', body: j(ev()).replace('"role"', '"constructor":{"prototype":{"x":1}},"role"'), status: 400, names: 'constructor' },

  // Bodies that are JSON but not an event
  { name: 'null', method: 'POST', path: '/v1/events', body: 'null', status: 400, names: '(body)' },
  { name: 'bare array of events', method: 'POST', path: '/v1/events', body: j([ev()]), status: 400, names: '(body)' },
  { name: 'string', method: 'POST', path: '/v1/events', body: '"message"', status: 400, names: '(body)' },
  { name: 'number', method: 'POST', path: '/v1/events', body: '42', status: 400, names: '(body)' },
  { name: 'boolean', method: 'POST', path: '/v1/events', body: 'true', status: 400, names: '(body)' },
  { name: 'empty object', method: 'POST', path: '/v1/events', body: '{}', status: 400, names: 'conversation_id' },
  { name: '100,000 nested arrays as the body', method: 'POST', path: '/v1/events', body: nestArrays(100_000), status: 400, names: '(body)' },

  // Wrong types and values, one event
  { name: 'missing conversation_id', method: 'POST', path: '/v1/events', body: j({ ...ev(), conversation_id: undefined }), status: 400, names: 'conversation_id' },
  { name: 'missing user_id', method: 'POST', path: '/v1/events', body: j({ ...ev(), user_id: undefined }), status: 400, names: 'user_id' },
  { name: 'missing event_type', method: 'POST', path: '/v1/events', body: j({ ...ev(), event_type: undefined }), status: 400, names: 'event_type' },
  { name: 'unknown event_type', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'click' })), status: 400, names: 'event_type' },
  { name: 'event_type upper case', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'MESSAGE' })), status: 400, names: 'event_type' },
  { name: 'event_type number', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 1 })), status: 400, names: 'event_type' },
  { name: 'conversation_id not a UUID', method: 'POST', path: '/v1/events', body: j(ev({ conversation_id: 'conv-1' })), status: 400, names: 'conversation_id' },
  { name: 'conversation_id in braces', method: 'POST', path: '/v1/events', body: j(ev({ conversation_id: `{${CONV}}` })), status: 400, names: 'conversation_id' },
  { name: 'conversation_id without dashes', method: 'POST', path: '/v1/events', body: j(ev({ conversation_id: CONV.replace(/-/g, '') })), status: 400, names: 'conversation_id' },
  { name: 'conversation_id number', method: 'POST', path: '/v1/events', body: j(ev({ conversation_id: 12345 })), status: 400, names: 'conversation_id' },
  { name: 'id not a UUID', method: 'POST', path: '/v1/events', body: j(ev({ id: 'evt_1' })), status: 400, names: 'id' },
  { name: 'id with a NUL', method: 'POST', path: '/v1/events', body: j(ev({ id: '0193a500-0000-7000-8000-00000000\u00001' })), status: 400, names: 'id' },
  { name: 'user_id empty', method: 'POST', path: '/v1/events', body: j(ev({ user_id: '' })), status: 400, names: 'user_id' },
  { name: 'user_id 201 characters', method: 'POST', path: '/v1/events', body: j(ev({ user_id: long(201) })), status: 400, names: 'user_id' },
  { name: 'user_id number', method: 'POST', path: '/v1/events', body: j(ev({ user_id: 42 })), status: 400, names: 'user_id' },
  { name: 'user_id null', method: 'POST', path: '/v1/events', body: j(ev({ user_id: null })), status: 400, names: 'user_id' },
  { name: 'user_id object', method: 'POST', path: '/v1/events', body: j(ev({ user_id: { id: 'u1' } })), status: 400, names: 'user_id' },
  { name: 'timestamp without offset', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '2026-03-05T12:00:00' })), status: 400, names: 'timestamp' },
  { name: 'timestamp date only', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '2026-03-05' })), status: 400, names: 'timestamp' },
  { name: 'timestamp words', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: 'yesterday' })), status: 400, names: 'timestamp' },
  { name: 'timestamp 30 February', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '2026-02-30T10:00:00Z' })), status: 400, names: 'timestamp' },
  { name: 'timestamp hour 24', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '2026-03-05T24:00:00Z' })), status: 400, names: 'timestamp' },
  { name: 'timestamp epoch milliseconds', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: 1772700000000 })), status: 400, names: 'timestamp' },
  { name: 'timestamp RFC 2822', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: 'Thu, 05 Mar 2026 12:00:00 GMT' })), status: 400, names: 'timestamp' },
  { name: 'timestamp year 1 at +14:00 (year 0 in UTC)', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '0001-01-01T00:00:00+14:00' })), status: 400, names: 'timestamp' },
  { name: 'timestamp 9999-12-31 at -23:59 (year 10000 in UTC)', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '9999-12-31T23:59:59-23:59' })), status: 400, names: 'timestamp' },
  { name: 'timestamp year 0000', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '0000-06-01T00:00:00Z' })), status: 400, names: 'timestamp' },
  { name: 'timestamp with a trailing NUL', method: 'POST', path: '/v1/events', body: j(ev({ timestamp: '2026-03-05T12:00:00Z\u0000' })), status: 400, names: 'timestamp' },
  { name: 'content a string', method: 'POST', path: '/v1/events', body: j(ev({ content: 'make a video' })), status: 400, names: 'content' },
  { name: 'content an array', method: 'POST', path: '/v1/events', body: j(ev({ content: [{ message: 'x' }] })), status: 400, names: 'content' },
  { name: 'content null', method: 'POST', path: '/v1/events', body: j(ev({ content: null })), status: 400, names: 'content' },
  { name: 'content.role unknown', method: 'POST', path: '/v1/events', body: j(content({ role: 'bot' })), status: 400, names: 'content.role' },
  { name: 'content.message number', method: 'POST', path: '/v1/events', body: j(content({ message: 404 })), status: 400, names: 'content.message' },
  { name: 'content.message over 100,000 characters', method: 'POST', path: '/v1/events', body: j(content({ message: long(100_001) })), status: 400, names: 'content.message' },
  { name: 'content.params an array', method: 'POST', path: '/v1/events', body: j(content({ params: [1, 2] })), status: 400, names: 'content.params' },
  { name: 'content.params a string', method: 'POST', path: '/v1/events', body: j(content({ params: 'seconds=15' })), status: 400, names: 'content.params' },
  { name: 'content.error over 10,000 characters', method: 'POST', path: '/v1/events', body: j(content({ error: long(10_001) })), status: 400, names: 'content.error' },
  { name: 'content.tool over 200 characters', method: 'POST', path: '/v1/events', body: j(content({ tool: long(201) })), status: 400, names: 'content.tool' },
  { name: 'tool_name empty', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'tool_call', tool_name: '' })), status: 400, names: 'tool_name' },
  { name: 'tool_name 201 characters', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'tool_call', tool_name: long(201) })), status: 400, names: 'tool_name' },
  { name: 'tool_name array', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'tool_call', tool_name: ['search'] })), status: 400, names: 'tool_name' },
  { name: 'success "true" as a string', method: 'POST', path: '/v1/events', body: j(ev({ success: 'true' })), status: 400, names: 'success' },
  { name: 'success 1', method: 'POST', path: '/v1/events', body: j(ev({ success: 1 })), status: 400, names: 'success' },
  { name: 'credits_consumed negative', method: 'POST', path: '/v1/events', body: j(ev({ credits_consumed: -5 })), status: 400, names: 'credits_consumed' },
  { name: 'credits_consumed fractional', method: 'POST', path: '/v1/events', body: j(ev({ credits_consumed: 1.5 })), status: 400, names: 'credits_consumed' },
  { name: 'credits_consumed a string', method: 'POST', path: '/v1/events', body: j(ev({ credits_consumed: '5' })), status: 400, names: 'credits_consumed' },
  { name: 'credits_consumed over 1,000,000', method: 'POST', path: '/v1/events', body: j(ev({ credits_consumed: 1_000_001 })), status: 400, names: 'credits_consumed' },
  { name: 'credits_consumed 1e400', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":1e400}', status: 400, names: 'credits_consumed' },
  { name: 'credits_consumed 2^64', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"credits_consumed":18446744073709551616}', status: 400, names: 'credits_consumed' },
  { name: 'completion without completion_status', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'completion' })), status: 400, names: 'completion_status' },
  { name: 'completion_status unknown', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'completion', completion_status: 'done' })), status: 400, names: 'completion_status' },
  { name: 'unknown field (typo)', method: 'POST', path: '/v1/events', body: j(ev({ usr_id: 'x' })), status: 400, names: 'usr_id' },
  { name: 'camelCase fields', method: 'POST', path: '/v1/events', body: j({ conversationId: CONV, userId: 'u', eventType: 'message' }), status: 400, names: 'conversation_id' },
  { name: 'duplicate key, the last one invalid', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"user_id":7}', status: 400, names: 'user_id' },
  { name: 'duplicate event_type, the last one unknown', method: 'POST', path: '/v1/events', body: j(ev()).slice(0, -1) + ',"event_type":"view"}', status: 400, names: 'event_type' },

  // Not storable in PostgreSQL: NUL, lone surrogates, depth, numbers JSON can't keep
  { name: 'NUL in user_id', method: 'POST', path: '/v1/events', body: j(ev({ user_id: 'u\u00001' })), status: 400, names: 'user_id' },
  { name: 'NUL in content.message', method: 'POST', path: '/v1/events', body: j(content({ message: 'make a \u0000 video' })), status: 400, names: 'content.message' },
  { name: 'NUL in content.params.x', method: 'POST', path: '/v1/events', body: j(content({ params: { x: 'a\u0000' } })), status: 400, names: 'content.params.x' },
  { name: 'NUL in a content key', method: 'POST', path: '/v1/events', body: j(content({ 'a\u0000b': 1 })), status: 400, names: 'content' },
  { name: 'NUL in a nested key', method: 'POST', path: '/v1/events', body: j(content({ params: { opts: { '\u0000': true } } })), status: 400, names: 'content.params.opts' },
  { name: 'NUL in tool_name', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'tool_call', tool_name: 'video\u0000gen' })), status: 400, names: 'tool_name' },
  { name: 'NUL in content.tool', method: 'POST', path: '/v1/events', body: j(content({ tool: 'a\u0000' })), status: 400, names: 'content.tool' },
  { name: 'NUL in content.error', method: 'POST', path: '/v1/events', body: j(content({ error: 'boom\u0000' })), status: 400, names: 'content.error' },
  { name: 'NUL in an array inside content.result', method: 'POST', path: '/v1/events', body: j(content({ result: { urls: ['ok', 'b\u0000d'] } })), status: 400, names: 'content.result.urls[1]' },
  { name: 'NUL alone as content.message', method: 'POST', path: '/v1/events', body: j(content({ message: '\u0000' })), status: 400, names: 'content.message' },
  { name: 'lone high surrogate in content.message', method: 'POST', path: '/v1/events', body: j(content({ message: 'a\ud800b' })), status: 400, names: 'content.message' },
  { name: 'lone low surrogate in user_id', method: 'POST', path: '/v1/events', body: j(ev({ user_id: '\udc00user' })), status: 400, names: 'user_id' },
  { name: 'reversed surrogate pair', method: 'POST', path: '/v1/events', body: j(content({ message: '\ude00\ud83d' })), status: 400, names: 'content.message' },
  { name: 'half an emoji at the end', method: 'POST', path: '/v1/events', body: j(content({ message: 'thanks \ud83d' })), status: 400, names: 'content.message' },
  { name: 'lone surrogate in a content key', method: 'POST', path: '/v1/events', body: j(content({ params: { '\ud800': 1 } })), status: 400, names: 'content.params' },
  { name: 'lone surrogate in tool_name', method: 'POST', path: '/v1/events', body: j(ev({ event_type: 'tool_call', tool_name: 'x\udfff' })), status: 400, names: 'tool_name' },
  { name: 'lone surrogate in content.result', method: 'POST', path: '/v1/events', body: j(content({ result: ['\ud800'] })), status: 400, names: 'content.result[0]' },
  { name: 'content nested 5,000 objects deep', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', `"deep":${nestObjects(5000)},"role"`), status: 400, names: 'content.deep' },
  { name: 'content.result nested 5,000 arrays deep', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', `"result":${nestArrays(5000)},"role"`), status: 400, names: 'content.result' },
  { name: 'content.params nested 200 deep', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', `"params":${nestObjects(200)},"role"`), status: 400, names: 'content.params' },
  { name: 'content nested 40 deep', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', `"x":${nestObjects(40)},"role"`), status: 400, names: 'content.x' },
  { name: 'content number 1e400 (Infinity)', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', '"score":1e400,"role"'), status: 400, names: 'content.score' },
  { name: 'content number -1e400', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', '"params":{"t":-1e400},"role"'), status: 400, names: 'content.params.t' },
  { name: 'content integer beyond 2^53 (a 64-bit id)', method: 'POST', path: '/v1/events', body: j(content({})).replace('"role"', '"params":{"chat_id":1234567890123456789},"role"'), status: 400, names: 'content.params.chat_id' },

  // Batches
  { name: 'events empty', method: 'POST', path: '/v1/events', body: batch(), status: 400, names: 'events' },
  { name: 'events 1,001', method: 'POST', path: '/v1/events', body: batch(...goodEvents(1001)), status: 400, names: 'events' },
  { name: 'events an object', method: 'POST', path: '/v1/events', body: j({ events: ev() }), status: 400, names: 'events' },
  { name: 'events a string', method: 'POST', path: '/v1/events', body: j({ events: 'all' }), status: 400, names: 'events' },
  { name: 'events null', method: 'POST', path: '/v1/events', body: j({ events: null }), status: 400, names: 'events' },
  { name: 'events with an extra top-level key', method: 'POST', path: '/v1/events', body: j({ events: [ev()], source: 'web' }), status: 400, names: 'source' },
  { name: 'a null event in the batch', method: 'POST', path: '/v1/events', body: batch(ev(), null), status: 400, names: 'events[1]' },
  { name: 'a string event in the batch', method: 'POST', path: '/v1/events', body: batch('message', ev()), status: 400, names: 'events[0]' },
  { name: 'mixed batch: NUL in events[3].content.params.x', method: 'POST', path: '/v1/events', body: batch(...goodEvents(3), content({ params: { x: '\u0000' } })), status: 400, names: 'events[3].content.params.x' },
  { name: 'mixed batch: out-of-range timestamp in the last of 999', method: 'POST', path: '/v1/events', body: batch(...goodEvents(998), ev({ timestamp: '0001-01-01T00:00:00+14:00' })), status: 400, names: 'events[998].timestamp' },
  { name: 'mixed batch: 5,000-deep content in events[1]', method: 'POST', path: '/v1/events', body: `{"events":[${j(ev())},${j(content({})).replace('"role"', `"d":${nestObjects(5000)},"role"`)}]}`, status: 400, names: 'events[1].content.d' },
  { name: 'mixed batch: lone surrogate in events[2].user_id', method: 'POST', path: '/v1/events', body: batch(ev(), ev(), ev({ user_id: 'u\ud800' })), status: 400, names: 'events[2].user_id' },

  // Bytes that are not UTF-8
  { name: 'byte 0xFF in a string', method: 'POST', path: '/v1/events', body: withRawMessage([0x61, 0xff, 0x62]), status: 400, names: 'UTF-8' },
  { name: 'overlong encoding of "/"', method: 'POST', path: '/v1/events', body: withRawMessage([0xc0, 0xaf]), status: 400, names: 'UTF-8' },
  { name: 'UTF-8-encoded lone surrogate (CESU)', method: 'POST', path: '/v1/events', body: withRawMessage([0xed, 0xa0, 0x80]), status: 400, names: 'UTF-8' },
  { name: 'truncated three-byte sequence', method: 'POST', path: '/v1/events', body: withRawMessage([0xe2, 0x82]), status: 400, names: 'UTF-8' },
  { name: 'Latin-1 é', method: 'POST', path: '/v1/events', body: withRawMessage([0x63, 0x61, 0x66, 0xe9]), status: 400, names: 'UTF-8' },
  { name: 'code point above U+10FFFF', method: 'POST', path: '/v1/events', body: withRawMessage([0xf4, 0x90, 0x80, 0x80]), status: 400, names: 'UTF-8' },
  { name: 'UTF-16LE body with BOM', method: 'POST', path: '/v1/events', body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(j(ev()), 'utf16le')]), status: 400, names: 'UTF-8' },
  { name: 'invalid byte in an object key', method: 'POST', path: '/v1/events', body: Buffer.concat([Buffer.from('{"'), Buffer.from([0xfe]), Buffer.from('":1}')]), status: 400, names: 'UTF-8' },

  // Content types
  { name: 'text/plain', method: 'POST', path: '/v1/events', body: j(ev()), headers: { 'content-type': 'text/plain' }, status: 415, names: 'Content-Type' },
  { name: 'no Content-Type', method: 'POST', path: '/v1/events', body: j(ev()), headers: { 'content-type': null }, status: 415, names: 'Content-Type' },
  { name: 'form-urlencoded', method: 'POST', path: '/v1/events', body: 'user_id=a&event_type=message', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, names: 'Content-Type' },
  { name: 'multipart/form-data', method: 'POST', path: '/v1/events', body: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' }, status: 415, names: 'Content-Type' },
  { name: 'application/xml', method: 'POST', path: '/v1/events', body: '<event/>', headers: { 'content-type': 'application/xml' }, status: 415, names: 'Content-Type' },
  { name: 'application/jsonx', method: 'POST', path: '/v1/events', body: j(ev()), headers: { 'content-type': 'application/jsonx' }, status: 415, names: 'Content-Type' },
  { name: 'charset=iso-8859-1', method: 'POST', path: '/v1/events', body: j(ev()), headers: { 'content-type': 'application/json; charset=iso-8859-1' }, status: 415, names: 'charset' },
  { name: 'charset=utf-16', method: 'POST', path: '/v1/events', body: Buffer.from(j(ev()), 'utf16le'), headers: { 'content-type': 'application/json; charset=utf-16' }, status: 415, names: 'charset' },
  { name: 'gzip Content-Encoding with plain bytes', method: 'POST', path: '/v1/events', body: 'not gzip', headers: { 'content-encoding': 'gzip' }, status: 415, names: 'Content-Encoding' },
  { name: 'body over 1 MB', method: 'POST', path: '/v1/events', body: j(content({ result: long(1_100_000) })), status: 413, names: '(body)' },

  // Authorization
  { name: 'no token', method: 'POST', path: '/v1/events', body: j(ev()), headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'wrong token', method: 'POST', path: '/v1/events', body: j(ev()), headers: { authorization: 'Bearer wrong-token-0123456789' }, status: 401, names: 'Bearer' },
  { name: 'Basic scheme', method: 'POST', path: '/v1/events', body: j(ev()), headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }, status: 401, names: 'Bearer' },
  { name: 'token without a scheme', method: 'POST', path: '/v1/events', body: j(ev()), headers: { authorization: TOKEN }, status: 401, names: 'Bearer' },
  { name: 'token in the query string', method: 'POST', path: `/v1/events?token=${TOKEN}`, body: j(ev()), headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'unauthenticated garbage body', method: 'POST', path: '/v1/events', body: '{{{{', headers: { authorization: null }, status: 401, names: 'Authorization' },

  // Methods and routes that do not exist
  { name: 'GET /v1/events', method: 'GET', path: '/v1/events', status: 404, names: '/v1/events' },
  { name: 'PUT /v1/events', method: 'PUT', path: '/v1/events', body: j(ev()), status: 404, names: '/v1/events' },
  { name: 'POST /v1/event (singular)', method: 'POST', path: '/v1/event', body: j(ev()), status: 404, names: '/v1/event' },
];

const USERS: MalformedCase[] = [
  { name: 'NUL in user_id', method: 'POST', path: '/v1/users', body: j({ user_id: 'u\u00001' }), status: 400, names: 'user_id' },
  { name: 'lone surrogate in user_id (was rewritten to U+FFFD)', method: 'POST', path: '/v1/users', body: j({ user_id: 'u\ud800' }), status: 400, names: 'user_id' },
  { name: 'lone low surrogate in user_id', method: 'POST', path: '/v1/users', body: j({ user_id: '\udfffu' }), status: 400, names: 'user_id' },
  { name: 'created_at year 1 at +14:00', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: '0001-01-01T00:00:00+14:00' }), status: 400, names: 'created_at' },
  { name: 'created_at 9999-12-31 at -23:59', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: '9999-12-31T23:59:59-23:59' }), status: 400, names: 'created_at' },
  { name: 'created_at year 0000', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: '0000-01-01T00:00:00Z' }), status: 400, names: 'created_at' },
  { name: 'created_at with a NUL', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: '2026-01-01T00:00:00Z\u0000' }), status: 400, names: 'created_at' },
  { name: 'created_at date only', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: '2026-01-01' }), status: 400, names: 'created_at' },
  { name: 'created_at epoch seconds', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', created_at: 1767225600 }), status: 400, names: 'created_at' },
  { name: 'email not an address', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', email: 'ana at example' }), status: 400, names: 'email' },
  { name: 'email with a NUL', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', email: 'ana\u0000@example.com' }), status: 400, names: 'email' },
  { name: 'email a number', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', email: 42 }), status: 400, names: 'email' },
  { name: 'email list', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', email: ['a@example.com'] }), status: 400, names: 'email' },
  { name: 'unknown field', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1', plan: 'pro' }), status: 400, names: 'plan' },
  { name: 'missing user_id', method: 'POST', path: '/v1/users', body: j({ email: 'a@example.com' }), status: 400, names: 'user_id' },
  { name: 'user_id 201 characters', method: 'POST', path: '/v1/users', body: j({ user_id: long(201) }), status: 400, names: 'user_id' },
  { name: 'user_id empty', method: 'POST', path: '/v1/users', body: j({ user_id: '' }), status: 400, names: 'user_id' },
  { name: 'array body', method: 'POST', path: '/v1/users', body: j([{ user_id: 'u1' }]), status: 400, names: '(body)' },
  { name: 'empty body', method: 'POST', path: '/v1/users', body: '', status: 400, names: '(body)' },
  { name: 'truncated JSON', method: 'POST', path: '/v1/users', body: '{"user_id": "u1"', status: 400, names: '(body)' },
  { name: 'text/plain', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1' }), headers: { 'content-type': 'text/plain' }, status: 415, names: 'Content-Type' },
  { name: 'byte 0xFF in user_id', method: 'POST', path: '/v1/users', body: rawUser([0x75, 0xff]), status: 400, names: 'UTF-8' },
  { name: 'UTF-8-encoded lone surrogate in user_id', method: 'POST', path: '/v1/users', body: rawUser([0xed, 0xb0, 0x80]), status: 400, names: 'UTF-8' },
  { name: 'user_id nested object', method: 'POST', path: '/v1/users', body: j({ user_id: { $ne: '' } }), status: 400, names: 'user_id' },
  { name: '__proto__ key', method: 'POST', path: '/v1/users', body: '{"user_id":"u1","__proto__":{"isAdmin":true}}', status: 400, names: '__proto__' },
  { name: 'no token', method: 'POST', path: '/v1/users', body: j({ user_id: 'u1' }), headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'GET /v1/users', method: 'GET', path: '/v1/users', status: 404, names: '/v1/users' },
];

const ctx = (id: string, query = '') => `/v1/users/${id}/context${query}`;
const CONTEXT: MalformedCase[] = [
  { name: 'NUL as the id', method: 'GET', path: ctx('%00'), status: 400, names: 'id' },
  { name: 'NUL inside the id', method: 'GET', path: ctx('corpus%00user'), status: 400, names: 'id' },
  { name: 'NUL after a known id', method: 'GET', path: ctx(`${KNOWN_USER}%00`), status: 400, names: 'id' },
  { name: 'percent-encoded lone surrogate (ED A0 80)', method: 'GET', path: ctx('u%ED%A0%80'), status: 400, names: '(path)' },
  { name: 'truncated percent-encoding', method: 'GET', path: ctx('u%E0%A4%A'), status: 400, names: '(path)' },
  { name: 'percent-encoded overlong NUL (C0 80)', method: 'GET', path: ctx('u%C0%80'), status: 400, names: '(path)' },
  { name: 'percent-encoded byte 0xFF', method: 'GET', path: ctx('u%FF'), status: 400, names: '(path)' },
  { name: 'a lone % sign', method: 'GET', path: ctx('50%'), status: 400, names: '(path)' },
  { name: 'id 201 characters', method: 'GET', path: ctx(long(201)), status: 400, names: 'id' },
  { name: 'id 300 characters (past the router\'s 256)', method: 'GET', path: ctx(long(300)), status: 414, names: ':id' },
  { name: 'empty id', method: 'GET', path: ctx(''), status: 400, names: 'id' },
  { name: 'fields unknown', method: 'GET', path: ctx(KNOWN_USER, '?fields=everything'), status: 400, names: 'fields' },
  { name: 'fields empty', method: 'GET', path: ctx(KNOWN_USER, '?fields='), status: 400, names: 'fields' },
  { name: 'fields only commas', method: 'GET', path: ctx(KNOWN_USER, '?fields=,,'), status: 400, names: 'fields' },
  { name: 'fields repeated', method: 'GET', path: ctx(KNOWN_USER, '?fields=profile&fields=prompt'), status: 400, names: 'fields' },
  { name: 'fields with a NUL', method: 'GET', path: ctx(KNOWN_USER, '?fields=profile%00'), status: 400, names: 'fields' },
  { name: 'fields over 200 characters', method: 'GET', path: ctx(KNOWN_USER, `?fields=${'profile,'.repeat(30)}`), status: 400, names: 'fields' },
  { name: 'unknown query parameter', method: 'GET', path: ctx(KNOWN_USER, '?include=all'), status: 400, names: '(query): Unrecognized key: "include"' },
  { name: 'fields[] bracket syntax', method: 'GET', path: ctx(KNOWN_USER, '?fields[]=profile'), status: 400, names: 'fields' },
  { name: 'no token', method: 'GET', path: ctx(KNOWN_USER), headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'lower-case scheme with a wrong token', method: 'GET', path: ctx(KNOWN_USER), headers: { authorization: 'bearer nope' }, status: 401, names: 'Bearer' },
  { name: 'POST to the context route', method: 'POST', path: ctx(KNOWN_USER), body: '{}', status: 404, names: '/context' },
  { name: 'extra path segment', method: 'GET', path: `${ctx(KNOWN_USER)}/extra`, status: 404, names: '/extra' },
];

const FORGET: MalformedCase[] = [
  { name: 'NUL as the id', method: 'DELETE', path: '/v1/users/%00', status: 400, names: 'id' },
  { name: 'NUL inside a known id', method: 'DELETE', path: `/v1/users/${KNOWN_USER}%00`, status: 400, names: 'id' },
  { name: 'percent-encoded lone surrogate', method: 'DELETE', path: '/v1/users/u%ED%B0%80', status: 400, names: '(path)' },
  { name: 'truncated percent-encoding', method: 'DELETE', path: '/v1/users/u%E2%82', status: 400, names: '(path)' },
  { name: 'id 201 characters', method: 'DELETE', path: `/v1/users/${long(201)}`, status: 400, names: 'id' },
  { name: 'X-Requested-By empty', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, headers: { 'x-requested-by': '' }, status: 400, names: 'x-requested-by' },
  { name: 'X-Requested-By 201 characters', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, headers: { 'x-requested-by': long(201) }, status: 400, names: 'x-requested-by' },
  { name: 'malformed JSON body on DELETE', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, body: '{"reason":', status: 400, names: '(body)' },
  { name: 'invalid UTF-8 body on DELETE', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, body: Buffer.from([0x7b, 0xff, 0x7d]), status: 400, names: 'UTF-8' },
  { name: 'no token', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'wrong token', method: 'DELETE', path: `/v1/users/${KNOWN_USER}`, headers: { authorization: 'Bearer x' }, status: 401, names: 'Bearer' },
  { name: 'DELETE without an id', method: 'DELETE', path: '/v1/users/', status: 400, names: 'id' },
  { name: 'PATCH a user', method: 'PATCH', path: `/v1/users/${KNOWN_USER}`, body: '{}', status: 404, names: '/v1/users' },
];

const HEALTH: MalformedCase[] = [
  { name: 'POST /healthz', method: 'POST', path: '/healthz', body: '{}', status: 404, names: '/healthz' },
  { name: 'DELETE /healthz', method: 'DELETE', path: '/healthz', status: 404, names: '/healthz' },
  { name: 'GET /healthz/ with a path after it', method: 'GET', path: '/healthz/x', status: 404, names: '/healthz/x' },
  { name: 'GET /%00', method: 'GET', path: '/%00', status: 404, names: '/' },
  { name: 'bad percent-encoding on an unknown route', method: 'GET', path: '/v1/%E0%A4%A', status: 400, names: '(path)' },
];

const RPC: MalformedCase[] = [
  { name: 'unknown channel', method: 'POST', path: '/rpc/nope.nothing', body: '{}', status: 404, names: 'nope.nothing' },
  { name: 'channel "constructor"', method: 'POST', path: '/rpc/constructor', body: '{}', status: 404, names: 'constructor' },
  { name: 'channel "__proto__"', method: 'POST', path: '/rpc/__proto__', body: '{}', status: 404, names: '__proto__' },
  { name: 'channel with a NUL', method: 'POST', path: '/rpc/analytics.users%00', body: '{}', status: 404, names: 'analytics.users' },
  { name: 'malformed JSON', method: 'POST', path: '/rpc/analytics.users', body: '{"limit": ', status: 400, names: '(body)' },
  { name: 'text/plain', method: 'POST', path: '/rpc/analytics.users', body: '{}', headers: { 'content-type': 'text/plain' }, status: 415, names: 'Content-Type' },
  { name: 'invalid UTF-8', method: 'POST', path: '/rpc/analytics.users', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), status: 400, names: 'UTF-8' },
  { name: 'limit a string', method: 'POST', path: '/rpc/analytics.users', body: j({ limit: '10' }), status: 400, names: 'limit' },
  { name: 'limit 0', method: 'POST', path: '/rpc/analytics.users', body: j({ limit: 0 }), status: 400, names: 'limit' },
  { name: 'offset negative', method: 'POST', path: '/rpc/analytics.users', body: j({ offset: -1 }), status: 400, names: 'offset' },
  { name: 'sort field unknown', method: 'POST', path: '/rpc/analytics.users', body: j({ sort: { field: 'password', dir: 'asc' } }), status: 400, names: 'sort.field' },
  { name: 'filters.since not a day', method: 'POST', path: '/rpc/analytics.dashboard', body: j({ filters: { since: 'last week' } }), status: 400, names: 'filters.since' },
  { name: 'filters unknown key', method: 'POST', path: '/rpc/analytics.dashboard', body: j({ filters: { country: 'FR' } }), status: 400, names: 'country' },
  { name: 'userId 201 characters', method: 'POST', path: '/rpc/analytics.user', body: j({ userId: long(201) }), status: 400, names: 'userId' },
  { name: 'workspace name with a NUL', method: 'POST', path: '/rpc/workspace.switch', body: j({ name: 'prod\u0000' }), status: 400, names: 'name' },
  { name: 'workspace.add pgUrl not postgres', method: 'POST', path: '/rpc/workspace.add', body: j({ workspace: { name: 'w', kind: 'postgres', pgUrl: 'mysql://x' } }), status: 400, names: 'pgUrl' },
  { name: 'workspace.add kind unknown', method: 'POST', path: '/rpc/workspace.add', body: j({ workspace: { name: 'w', kind: 'sqlite' } }), status: 400, names: 'kind' },
  { name: 'body nested 5,000 deep', method: 'POST', path: '/rpc/analytics.users', body: `{"filters":${nestObjects(5000)}}`, status: 400, names: 'filters' },
  { name: 'body a bare array', method: 'POST', path: '/rpc/analytics.users', body: '[]', status: 400, names: 'analytics.users' },
  { name: 'no token', method: 'POST', path: '/rpc/workspace.list', body: '{}', headers: { authorization: null }, status: 401, names: 'Authorization' },
  { name: 'events stream with an unknown topic', method: 'GET', path: '/rpc/events?topics=secrets', status: 400, names: 'topics' },
  { name: 'events stream without a token', method: 'GET', path: '/rpc/events', headers: { authorization: null }, status: 401, names: 'Authorization' },
];

const HTTP_LAYER: MalformedCase[] = [
  {
    name: 'NUL byte in a header value',
    method: 'POST',
    path: '/v1/events',
    raw: Buffer.concat([Buffer.from(`POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nX-Requested-By: a`), Buffer.from([0]), Buffer.from('b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')]),
    status: 400,
    names: 'header',
  },
  {
    name: 'header name with a space',
    method: 'GET',
    path: '/healthz',
    raw: 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\nConnection: close\r\n\r\n',
    status: 400,
    names: 'header',
  },
  {
    name: 'raw space in the path',
    method: 'GET',
    path: '/v1/users/a b/context',
    raw: `GET /v1/users/a b/context HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`,
    status: 400,
    names: 'request line',
  },
  {
    name: 'raw NUL in the path',
    method: 'DELETE',
    path: '/v1/users/a\\0b',
    raw: Buffer.concat([Buffer.from('DELETE /v1/users/a'), Buffer.from([0]), Buffer.from(`b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`)]),
    status: 400,
    names: 'request line',
  },
  {
    name: 'bad chunk size',
    method: 'POST',
    path: '/v1/events',
    raw: `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    status: 400,
    names: 'body',
  },
  {
    name: 'Content-Length and Transfer-Encoding together (smuggling)',
    method: 'POST',
    path: '/v1/events',
    raw: `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    status: 400,
    names: 'header',
  },
  {
    name: 'non-numeric Content-Length',
    method: 'POST',
    path: '/v1/events',
    raw: `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ten\r\nConnection: close\r\n\r\n{}`,
    status: 400,
    names: 'header',
  },
];

const tag = (route: string, cases: MalformedCase[]) => cases.map((c) => ({ ...c, route, name: `${route}: ${c.name}` }));

export const CORPUS: MalformedCase[] = [
  ...tag('POST /v1/events', EVENTS),
  ...tag('POST /v1/users', USERS),
  ...tag('GET /v1/users/:id/context', CONTEXT),
  ...tag('DELETE /v1/users/:id', FORGET),
  ...tag('/healthz and unknown routes', HEALTH),
  ...tag('/rpc', RPC),
  ...tag('HTTP', HTTP_LAYER),
];
