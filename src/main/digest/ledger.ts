import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type LedgerState = 'sending' | 'sent' | 'failed';

export interface LedgerEntry {
  periodKey: string;
  state: LedgerState;
  attempts: number;
  claimedAt: string;
  sentAt: string | null;
  messageId: string | null;
  recipients: string | null;
  error: string | null;
}

/** A claim older than this is from a process that died mid-send (a send takes seconds, retries included). */
export const STALE_CLAIM_MS = 15 * 60_000;

/**
 * Which digest periods were sent, in `<dataDir>/digest-ledger.sqlite`: the guarantee that a period is sent at most once,
 * across restarts and between `uis serve` and `uis digest --send` on the same machine. A send first claims its period
 * (one transaction: a period already sent, or being sent, cannot be claimed); success marks it sent, a final failure
 * releases it for the next run.
 */
export class DigestLedger {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // Two processes (serve + CLI) may claim at once: wait for the other's transaction instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS digest_sends (
      period_key TEXT PRIMARY KEY,
      state TEXT NOT NULL CHECK (state IN ('sending','sent','failed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      claimed_at TEXT NOT NULL,
      sent_at TEXT,
      message_id TEXT,
      recipients TEXT,
      error TEXT
    )`);
  }

  static inDataDir(dir: string): DigestLedger {
    return new DigestLedger(path.join(dir, 'digest-ledger.sqlite'));
  }

  get(periodKey: string): LedgerEntry | null {
    const r = this.db.prepare('SELECT * FROM digest_sends WHERE period_key = ?').get(periodKey) as Record<string, string | number | null> | undefined;
    if (!r) return null;
    return {
      periodKey: r.period_key as string,
      state: r.state as LedgerState,
      attempts: r.attempts as number,
      claimedAt: r.claimed_at as string,
      sentAt: (r.sent_at as string) ?? null,
      messageId: (r.message_id as string) ?? null,
      recipients: (r.recipients as string) ?? null,
      error: (r.error as string) ?? null,
    };
  }

  /** Takes the period for sending; false (with the reason) when it was sent or another process is sending it. */
  claim(periodKey: string, now = new Date()): { claimed: true } | { claimed: false; reason: 'sent' | 'in_progress'; entry: LedgerEntry } {
    return this.db.transaction(() => {
      const e = this.get(periodKey);
      if (e?.state === 'sent') return { claimed: false as const, reason: 'sent' as const, entry: e };
      if (e?.state === 'sending' && now.getTime() - Date.parse(e.claimedAt) < STALE_CLAIM_MS) return { claimed: false as const, reason: 'in_progress' as const, entry: e };
      this.db
        .prepare(
          `INSERT INTO digest_sends (period_key, state, attempts, claimed_at) VALUES (?, 'sending', 0, ?)
           ON CONFLICT (period_key) DO UPDATE SET state = 'sending', claimed_at = excluded.claimed_at, error = NULL`,
        )
        .run(periodKey, now.toISOString());
      return { claimed: true as const };
    }).immediate();
  }

  attempt(periodKey: string): void {
    this.db.prepare('UPDATE digest_sends SET attempts = attempts + 1 WHERE period_key = ?').run(periodKey);
  }

  markSent(periodKey: string, messageId: string, recipients: string[], now = new Date()): void {
    this.db.prepare("UPDATE digest_sends SET state = 'sent', sent_at = ?, message_id = ?, recipients = ?, error = NULL WHERE period_key = ?").run(now.toISOString(), messageId, recipients.join(', '), periodKey);
  }

  markFailed(periodKey: string, error: string): void {
    this.db.prepare("UPDATE digest_sends SET state = 'failed', error = ? WHERE period_key = ?").run(error, periodKey);
  }

  list(limit = 50): LedgerEntry[] {
    const keys = this.db.prepare('SELECT period_key FROM digest_sends ORDER BY claimed_at DESC LIMIT ?').all(limit) as { period_key: string }[];
    return keys.map((k) => this.get(k.period_key)!);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
