import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The directory of PostgreSQL's server programs (Debian keeps them off PATH, under /usr/lib/postgresql/N/bin). */
function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
    if (versions.length) return path.join(root, versions[0], 'bin');
  }
  return path.dirname(execFileSync('which', ['pg_ctl'], { encoding: 'utf8' }).trim());
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary directory, its own port, trust auth), to stop and
 * start while a service uses it: the shared server on 5432 is never touched. PostgreSQL refuses to run as root, so
 * under root its programs run as the `postgres` user.
 */
export class OwnPostgresServer {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'uis-pg-'));
  private readonly bin = pgBinDir();
  private readonly asRoot = process.getuid?.() === 0;

  constructor(readonly port: number) {}

  /** A connection string to `database` (the password is accepted and ignored: trust auth). */
  url(database = 'postgres', password?: string): string {
    return `postgres://postgres${password ? `:${password}` : ''}@127.0.0.1:${this.port}/${database}`;
  }

  private run(program: string, args: string[]): void {
    const file = path.join(this.bin, program);
    if (this.asRoot) execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], { stdio: 'ignore' });
    else execFileSync(file, args, { stdio: 'ignore' });
  }

  async init(): Promise<void> {
    if (this.asRoot) chownSync(this.dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })));
    this.run('initdb', ['-D', path.join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await this.start();
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-o', options, '-l', path.join(this.dir, 'log'), '-w', 'start']);
  }

  /** Stops at once, as a crash or a pulled cable would (open connections are cut). */
  async stop(): Promise<void> {
    this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  async remove(): Promise<void> {
    try {
      await this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
