import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../src/main/demo/generate.js';
import { writeDemoToPostgres } from '../../src/main/demo/sinks.js';
import { buildDigest } from '../../src/main/digest/build.js';
import { readDigestConfig } from '../../src/main/config.js';
import { DigestLedger } from '../../src/main/digest/ledger.js';
import { periodEndingOn } from '../../src/main/digest/periods.js';
import { digestSubject } from '../../src/main/digest/render.js';
import { startDigestScheduler } from '../../src/main/digest/scheduler.js';
import { startDigestService } from '../../src/main/digest/service.js';
import { readEnv } from '../../src/main/config.js';
import { sendDigest } from '../../src/main/digest/send.js';
import { openWorkspaceSource, type MetricsSource } from '../../src/main/reports/source.js';
import { syncFromPostgres } from '../../src/main/snapshot/sync.js';
import { openSnapshot } from '../../src/main/snapshot/snapshot.js';
import { WorkspaceStore } from '../../src/main/workspace/store.js';
import { formatChange } from '../../src/shared/report.js';
import { int } from '../../src/shared/format.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { freePort } from '../helpers/redis.js';

const run = promisify(execFile);
const UIS = new URL('../../bin/uis.js', import.meta.url).pathname;
const UNTIL = '2026-11-20';
const PASSWORD = 's3cret-smtp-pass';

/** A real SMTP server on a local port; `rejectNext` makes the next N messages fail with a 451. */
class TestSmtp {
  received: ParsedMail[] = [];
  envelopes: string[][] = [];
  rejectNext = 0;
  server!: SMTPServer;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      onAuth: (auth, _session, cb) => (auth.username === 'digest' && auth.password === PASSWORD ? cb(null, { user: 'digest' }) : cb(new Error('bad login'))),
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (this.rejectNext > 0) {
            this.rejectNext--;
            const err = new Error('Mailbox busy, try later') as Error & { responseCode: number };
            err.responseCode = 451;
            return cb(err);
          }
          this.envelopes.push(session.envelope.rcptTo.map((r) => r.address));
          this.received.push(await simpleParser(Buffer.concat(chunks)));
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }
  get url(): string {
    return `smtp://digest:${PASSWORD}@127.0.0.1:${this.port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let db: TestDatabase;
let dir: string;
let smtp: TestSmtp;
let source: MetricsSource;

beforeAll(async () => {
  db = await createTestDatabase();
  await writeDemoToPostgres(db.pool, generateDemo({ users: 120, days: 60, endDay: UNTIL }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-digest-it-'));
  const ws = new WorkspaceStore(dir).add({ name: 'acme', kind: 'postgres', pgUrl: db.url }, { activate: true });
  const snap = openSnapshot(ws.snapshotPath);
  await syncFromPostgres(snap, db.url);
  snap.close();
  source = openWorkspaceSource(dir, 'acme');
  smtp = new TestSmtp();
  await smtp.start();
});

afterAll(async () => {
  source?.close();
  await smtp?.stop();
  await db?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('insights digest over real SMTP', () => {
  it('sends subject, recipients and the engine numbers; never twice for the same period', async () => {
    const ledger = new DigestLedger(path.join(dir, 'ledger-a.sqlite'));
    const period = periodEndingOn('daily', UNTIL);
    const digest = buildDigest(source, period, 'Acme AI');
    const day = source.dashboard({ since: UNTIL, until: UNTIL });
    const before = source.dashboard({ since: '2026-11-19', until: '2026-11-19' });
    const logs: string[] = [];
    const to = ['founder@acme.ai', 'cofounder@acme.ai'];
    const outcome = await sendDigest(digest, { smtpUrl: smtp.url, to, from: 'UIS <uis@acme.ai>', ledger, log: (l) => logs.push(l) });
    expect(outcome.status).toBe('sent');
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.subject).toBe(digestSubject(digest));
    expect(mail.subject).toContain(`Acme AI daily digest, 20 Nov 2026: ${int(day.summary.totals.activeUsers)} active users`);
    expect(smtp.envelopes[0]).toEqual(to);
    expect(mail.headers.get('x-uis-digest-period')).toBe('daily:2026-11-20');
    // Numbers: what the engine computes for that day and the day before.
    const change = formatChange(day.summary.totals.activeUsers, before.summary.totals.activeUsers, 'count');
    expect(mail.text).toContain(`- Active users: ${int(day.summary.totals.activeUsers)} (previous ${int(before.summary.totals.activeUsers)}, ${change})`);
    expect(mail.text).toContain(`- Conversations: ${int(day.summary.totals.conversations)}`);
    expect(mail.text).toContain(`- Credits used: ${int(day.summary.totals.creditsUsed)}`);
    for (const u of digest.newlyExhausted.slice(0, 20)) expect(mail.text).toContain(`${u.email ?? u.userId}: ${int(u.creditsUsed)} credits used`);
    expect(mail.html).toContain(`>${int(day.summary.totals.activeUsers)}</td>`);

    // Same period again: the ledger says sent, nothing goes out.
    const again = await sendDigest(digest, { smtpUrl: smtp.url, to, from: 'uis@acme.ai', ledger, log: (l) => logs.push(l) });
    expect(again).toMatchObject({ status: 'skipped', reason: 'already_sent' });
    expect(smtp.received).toHaveLength(1);
    expect(logs.join('\n')).not.toContain(PASSWORD);
    ledger.close();
  });

  it('the hot leads are the users who crossed the credit line that day', () => {
    const digest = buildDigest(source, periodEndingOn('daily', UNTIL), 'Acme AI');
    const byEnd = new Set(source.creditExhaustion({ until: UNTIL }).map((r) => r.userId));
    const byDayBefore = new Set(source.creditExhaustion({ until: '2026-11-19' }).map((r) => r.userId));
    expect(digest.newlyExhausted.map((u) => u.userId).sort()).toEqual([...byEnd].filter((u) => !byDayBefore.has(u)).sort());
  });

  it('retries a failed send, logs each failure without the password, and sends once', async () => {
    const ledger = new DigestLedger(path.join(dir, 'ledger-b.sqlite'));
    smtp.rejectNext = 2;
    const count = smtp.received.length;
    const logs: string[] = [];
    const digest = buildDigest(source, periodEndingOn('daily', '2026-11-19'), 'Acme AI');
    const outcome = await sendDigest(digest, { smtpUrl: smtp.url, to: ['founder@acme.ai'], from: 'uis@acme.ai', ledger, log: (l) => logs.push(l), minRetryMs: 50 });
    expect(outcome).toMatchObject({ status: 'sent', attempts: 3 });
    expect(smtp.received.length).toBe(count + 1);
    expect(logs.filter((l) => /send attempt \d failed/.test(l))).toHaveLength(2);
    expect(logs[0]).toContain('451');
    expect(logs.join('\n')).not.toContain(PASSWORD);
    expect(ledger.get('daily:2026-11-19')).toMatchObject({ state: 'sent', attempts: 3, recipients: 'founder@acme.ai' });
    ledger.close();
  });

  it('a send that fails every attempt is recorded as failed and goes out on the next run', async () => {
    const ledger = new DigestLedger(path.join(dir, 'ledger-c.sqlite'));
    const digest = buildDigest(source, periodEndingOn('daily', '2026-11-18'), 'Acme AI');
    const deadPort = await freePort();
    const logs: string[] = [];
    await expect(sendDigest(digest, { smtpUrl: `smtp://digest:${PASSWORD}@127.0.0.1:${deadPort}`, to: ['founder@acme.ai'], from: 'uis@acme.ai', ledger, log: (l) => logs.push(l), retries: 1, minRetryMs: 20 })).rejects.toThrow(/could not be sent after 2 attempt/);
    expect(ledger.get('daily:2026-11-18')!.state).toBe('failed');
    expect(logs.join('\n')).not.toContain(PASSWORD);
    const count = smtp.received.length;
    await sendDigest(digest, { smtpUrl: smtp.url, to: ['founder@acme.ai'], from: 'uis@acme.ai', ledger });
    expect(smtp.received.length).toBe(count + 1);
    ledger.close();
  });

  it('the schedule sends once per period across a restart (time zone aware catch-up)', async () => {
    const ledgerFile = path.join(dir, 'ledger-sched.sqlite');
    // 10:00 in Berlin on 21 Nov: the 08:00 send for 20 Nov is due.
    const now = () => new Date('2026-11-21T09:00:00Z');
    const config = readDigestConfig({ SMTP_URL: smtp.url, UIS_DIGEST_TO: 'founder@acme.ai', UIS_DIGEST: 'daily', UIS_DIGEST_TZ: 'Europe/Berlin' });
    const start = (ledger: DigestLedger, logs: string[]) =>
      startDigestScheduler({ config, ledger, openSource: () => openWorkspaceSource(dir, 'acme'), companyName: () => 'Acme AI', now, log: (l) => logs.push(l), minRetryMs: 20 });
    const count = smtp.received.length;

    const ledger1 = new DigestLedger(ledgerFile);
    const logs1: string[] = [];
    const s1 = start(ledger1, logs1);
    await s1.ready;
    expect(smtp.received.length).toBe(count + 1);
    expect(smtp.received.at(-1)!.headers.get('x-uis-digest-period')).toBe('daily:2026-11-20');
    expect(logs1.join('\n')).toContain('catching up on daily:2026-11-20');
    await s1.stop();
    ledger1.close();

    // Restart: a new process (new ledger handle on the same file) neither catches up again nor sends on its tick.
    const ledger2 = new DigestLedger(ledgerFile);
    const s2 = start(ledger2, []);
    await s2.ready;
    expect(await s2.run('daily')).toMatchObject({ status: 'skipped', reason: 'already_sent' });
    expect(smtp.received.length).toBe(count + 1);
    expect(Object.keys(s2.nextRuns())).toEqual(['daily']);
    await s2.stop();
    ledger2.close();
  });
});

describe('digest anomalies', () => {
  it('flags a tool whose error rate spiked against its 7-day baseline', async () => {
    const day = '2026-11-21';
    const before = buildDigest(source, periodEndingOn('daily', day), 'Acme AI');
    expect(before.anomalies.filter((a) => a.tool === 'upscale')).toEqual([]);
    // 40 failed upscale calls on one day, written through the capture triggers like any platform event.
    const userId = (await db.pool.query<{ user_id: string }>('SELECT user_id FROM user_profiles ORDER BY user_id LIMIT 1')).rows[0]!.user_id;
    const conv = (await db.pool.query<{ id: string }>(`INSERT INTO conversations (id, user_id, started_at) VALUES (gen_random_uuid(), $1, $2) RETURNING id::text`, [userId, `${day} 10:00:00`])).rows[0]!.id;
    await db.pool.query(
      `INSERT INTO conversation_events (id, conversation_id, user_id, timestamp, event_type, content, tool_name, success, credits_consumed)
       SELECT gen_random_uuid(), $1, $2, $3::timestamp + make_interval(secs => g), 'tool_call', '{"error":"timeout"}', 'upscale', false, 0
       FROM generate_series(1, 40) g`,
      [conv, userId, `${day} 10:00:00`],
    );
    const ws = new WorkspaceStore(dir).get('acme');
    const snap = openSnapshot(ws.snapshotPath);
    await syncFromPostgres(snap, db.url);
    snap.close();
    const fresh = openWorkspaceSource(dir, 'acme');
    try {
      const digest = buildDigest(fresh, periodEndingOn('daily', day), 'Acme AI');
      const spike = digest.anomalies.find((a) => a.kind === 'error_rate_spike' && a.tool === 'upscale');
      const tool = fresh.dashboard({ since: day, until: day }).usageHealth.errorRateByTool.find((t) => t.tool === 'upscale')!;
      expect(tool.errors).toBeGreaterThanOrEqual(40);
      expect(spike).toMatchObject({ value: tool.rate });
      expect(spike!.message).toContain(`upscale failed ${Math.round(tool.rate! * 1000) / 10}% of ${tool.calls} calls`);
    } finally {
      fresh.close();
    }
  });
});

describe('digest in uis serve', () => {
  it('syncs a snapshot of DATABASE_URL and sends the due period once, also after a restart', async () => {
    const serviceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uis-digest-svc-'));
    const env = readEnv({ DATABASE_URL: db.url, UIS_DATA_DIR: serviceDir });
    // Midnight UTC has always passed today: yesterday's daily digest is due at start.
    const processEnv = { SMTP_URL: smtp.url, UIS_DIGEST_TO: 'founder@acme.ai', UIS_DIGEST_DAILY_CRON: '0 0 * * *' };
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const count = smtp.received.length;
    const logs: string[] = [];
    const first = startDigestService(env, { processEnv, log: (l) => logs.push(l) });
    await first.scheduler.ready;
    await first.stop();
    expect(smtp.received.length).toBe(count + 1);
    expect(smtp.received.at(-1)!.headers.get('x-uis-digest-period')).toBe(`daily:${yesterday}`);
    expect(fs.existsSync(path.join(serviceDir, 'service', 'digest-snapshot.sqlite'))).toBe(true);
    const second = startDigestService(env, { processEnv });
    await second.scheduler.ready;
    await second.stop();
    expect(smtp.received.length).toBe(count + 1);
    expect(logs.join('\n')).not.toContain(PASSWORD);
    fs.rmSync(serviceDir, { recursive: true, force: true });
  });
});

describe('uis digest', () => {
  const uis = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const r = await run(process.execPath, [UIS, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, UIS_DATA_DIR: dir, ...env }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('uis serve with SMTP_URL but no recipients refuses to start and names UIS_DIGEST_TO', { timeout: 120_000 }, async () => {
    const r = await uis(['serve', '--port', '0'], { DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', UIS_API_TOKEN: 'digest-test-token', SMTP_URL: smtp.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UIS_DIGEST_TO is not set');
    expect(r.stderr).not.toContain(PASSWORD);
  });

  // Five CLI runs (tsx start-up each): generous timeout for a loaded machine.
  it('--preview writes the HTML; --send names what is missing; --send sends once', { timeout: 300_000 }, async () => {
    const file = path.join(dir, 'preview.html');
    const p = await uis(['digest', '--preview', file, '--until', UNTIL, '--workspace', 'acme']);
    expect(p.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('Key numbers');
    expect((await uis(['digest', '--send', '--preview', file])).stderr).toContain('--send');
    expect((await uis(['digest', '--kind', 'monthly', '--preview', file])).stderr).toContain('--kind');
    expect((await uis(['digest', '--send', '--until', UNTIL])).stderr).toContain('SMTP_URL is not set');
    const env = { SMTP_URL: smtp.url, UIS_DIGEST_TO: 'founder@acme.ai', UIS_DIGEST_WORKSPACE: 'acme' };
    const count = smtp.received.length;
    const first = await uis(['digest', '--send', '--kind', 'weekly', '--until', UNTIL], env);
    expect(first.stdout).toContain('Sent "');
    const second = await uis(['digest', '--send', '--kind', 'weekly', '--until', UNTIL], env);
    expect(second.stdout).toContain('Not sent: the weekly:2026-11-16 digest was already sent');
    expect(smtp.received.length).toBe(count + 1);
    expect(first.stderr + second.stderr).not.toContain(PASSWORD);
  });
});
