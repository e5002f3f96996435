import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/** Resolves when `port` (and its cluster bus port, port + 10000) can be bound on 127.0.0.1. */
async function portFree(port: number): Promise<boolean> {
  const tryBind = (p: number) =>
    new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  return (await tryBind(port)) && (await tryBind(port + 10_000));
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.once('error', reject);
    p.once('exit', (code) => resolve({ code, out }));
  });
}

async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Redis Cluster of `masters` redis-server processes (no replicas) in a temporary directory, started and joined with
 * `redis-cli --cluster create`, on free ports of [firstPort, lastPort] (each with its bus port, +10000).
 */
export class OwnRedisCluster {
  readonly ports: number[] = [];
  private readonly procs: ChildProcess[] = [];
  private dir = '';

  constructor(
    private readonly range: { firstPort: number; lastPort: number },
    private readonly masters = 3,
  ) {}

  /** Any node: what REDIS_URL names in cluster mode. */
  get url(): string {
    return `redis://127.0.0.1:${this.ports[0]}`;
  }

  async start(): Promise<void> {
    for (let p = this.range.firstPort; p <= this.range.lastPort && this.ports.length < this.masters; p++) {
      if (await portFree(p)) this.ports.push(p);
    }
    if (this.ports.length < this.masters) throw new Error(`no ${this.masters} free ports in ${this.range.firstPort}-${this.range.lastPort}`);
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'uis-cluster-'));
    for (const port of this.ports) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '5000', '--appendonly', 'no', '--save', '', '--dir', this.dir];
      const proc = spawn('redis-server', args, { stdio: 'ignore' });
      this.procs.push(proc);
    }
    // A test process that ends without afterAll (a crash, a timeout) must not leave the servers on its ports.
    process.once('exit', this.killAll);
    for (const port of this.ports) {
      await until(`redis-server on ${port}`, async () => {
        const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        r.on('error', () => {});
        try {
          await r.connect();
          return (await r.ping()) === 'PONG';
        } finally {
          r.disconnect();
        }
      });
    }
    const created = await run('redis-cli', ['--cluster', 'create', ...this.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.out}`);
    // Every node must agree the cluster is whole before a client connects (else CLUSTERDOWN on some slots).
    for (const port of this.ports) {
      await until(`cluster_state:ok on ${port}`, async () => {
        const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        r.on('error', () => {});
        try {
          await r.connect();
          return (await r.cluster('INFO')).includes('cluster_state:ok');
        } finally {
          r.disconnect();
        }
      });
    }
  }

  private readonly killAll = () => {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };

  async stop(): Promise<void> {
    process.off('exit', this.killAll);
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    this.procs.length = 0;
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
