import path from 'node:path';
import { utilityProcess } from 'electron';
import type { BoxReply, BoxSpawner } from '../intelligence/ask-sql-host.js';

/**
 * The Ask box in the desktop app: Electron's utilityProcess runs the bundled out/main/ask-sql-box.js (a Node process
 * of its own, which works with the RunAsNode fuse off, where child_process.fork of the app's binary would not).
 */
export function electronAskBoxSpawner(outMainDir: string): BoxSpawner {
  return (env) => {
    const child = utilityProcess.fork(path.join(outMainDir, 'ask-sql-box.js'), [], { env, serviceName: 'uis-ask-sql', stdio: ['ignore', 'ignore', 'inherit'] });
    return {
      send: (m) => child.postMessage(m),
      onMessage: (listener) => child.on('message', (m: BoxReply) => listener(m)),
      onExit: (listener) => child.once('exit', (code) => listener(`exit code ${code}`)),
      kill: () => {
        child.kill();
      },
    };
  };
}
