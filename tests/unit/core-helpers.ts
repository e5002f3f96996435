import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAppCore, type Core } from '../../src/main/app/index.js';
import { FileKeySecretStore } from '../../src/main/workspace/secrets.js';

/** A core on its own temporary data folder (the demo workspace is generated there on first use). */
export function tempCore(opts: { log?: (l: string) => void } = {}): { core: Core; dir: string; cleanup(): Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-core-'));
  const core = createAppCore({ dataDir: dir, secretStore: new FileKeySecretStore(path.join(dir, 'secret.key'), () => {}), log: opts.log ?? (() => {}) });
  return {
    core,
    dir,
    async cleanup() {
      await core.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
