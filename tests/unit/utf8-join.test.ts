import { describe, expect, it } from 'vitest';
import { joinUtf8 } from '../../src/main/utf8-join.js';

describe('joinUtf8', () => {
  it('writes the same bytes as joining the strings and encoding the result', () => {
    const parts = ['{"a":"ünïcödé 🎬"}', '{"b":"tab\\there"}', '', '{"c":"日本語"}'];
    expect(joinUtf8(parts, 0x2c, [1, 0x5b], [0x5d])).toEqual(Buffer.concat([Buffer.from([1]), Buffer.from(`[${parts.join(',')}]`)]));
    expect(joinUtf8(parts, 0x0a).toString()).toBe(parts.join('\n'));
  });

  it('holds only head and tail for no parts, and no separator for one', () => {
    expect(joinUtf8([], 0x2c, [1, 0x5b], [0x5d])).toEqual(Buffer.from([1, 0x5b, 0x5d]));
    expect(joinUtf8(['x'], 0x2c).toString()).toBe('x');
  });

  it('is the JSON array of its parts', () => {
    const rows = [{ id: 1, s: 'é' }, { id: 2, s: '"\\' }];
    const buf = joinUtf8(rows.map((r) => JSON.stringify(r)), 0x2c, [0x5b], [0x5d]);
    expect(JSON.parse(buf.toString())).toEqual(rows);
  });
});
