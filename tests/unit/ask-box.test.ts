import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boxEntry } from '../../src/main/intelligence/ask-sql-host.js';

/** Where the Ask box starts from: the tsx bootstrap beside the sources, or the bundled entry of a build. */
describe('Ask box entry', () => {
  it('is the tsx bootstrap when running from the TypeScript sources, and that file exists', () => {
    const from = path.resolve('src/main/intelligence/ask-sql-host.ts');
    expect(boxEntry(from)).toBe(path.resolve('src/main/intelligence/ask-sql-box.mjs'));
    expect(fs.existsSync(boxEntry(from))).toBe(true);
  });

  it('is ask-sql-box.js beside the bundle, or one folder up from a chunk', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-out-'));
    try {
      fs.mkdirSync(path.join(out, 'chunks'));
      fs.writeFileSync(path.join(out, 'ask-sql-box.js'), '');
      expect(boxEntry(path.join(out, 'index.js'))).toBe(path.join(out, 'ask-sql-box.js'));
      expect(boxEntry(path.join(out, 'chunks', 'ask-abc123.js'))).toBe(path.join(out, 'ask-sql-box.js'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
