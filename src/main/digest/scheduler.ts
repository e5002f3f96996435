import { Cron } from 'croner';
import type { DigestKind } from '../../shared/digest.js';
import type { MetricsSource } from '../reports/source.js';
import { buildDigest } from './build.js';
import type { DigestConfig } from '../config.js';
import { requireSmtp } from './config.js';
import type { DigestLedger } from './ledger.js';
import { lastCompletePeriod } from './periods.js';
import { sendDigest, type SendOutcome } from './send.js';

export interface DigestSchedulerOptions {
  config: DigestConfig;
  ledger: DigestLedger;
  /** Opened for each run and closed after it, so a fresh snapshot is read every time (it may sync first). */
  openSource: () => MetricsSource | Promise<MetricsSource>;
  companyName: () => string;
  log?: (line: string) => void;
  now?: () => Date;
  retries?: number;
  minRetryMs?: number;
}

export interface DigestScheduler {
  /** Sends the last complete period of `kind` unless the ledger has it. */
  run(kind: DigestKind): Promise<SendOutcome>;
  /** The next scheduled send per kind. */
  nextRuns(): Record<string, string | null>;
  /** Stops the schedule and waits for a send in progress to finish. */
  stop(): Promise<void>;
  /** Resolves when the start-up catch-up has finished. */
  readonly ready: Promise<void>;
}

/**
 * The latest scheduled fire time at or before `now` (within the last 8 days), or null. Steps through the schedule
 * with croner itself, so the time zone and DST rules are croner's.
 */
export function lastFireAtOrBefore(pattern: string, timezone: string, now: Date): Date | null {
  const cron = new Cron(pattern, { timezone, paused: true });
  try {
    let t: Date | null = new Date(now.getTime() - 8 * 86_400_000);
    let last: Date | null = null;
    for (let i = 0; i < 20_000; i++) {
      t = cron.nextRun(t);
      if (!t || t.getTime() > now.getTime()) break;
      last = t;
    }
    return last;
  } finally {
    cron.stop();
  }
}

/**
 * `uis serve`'s digest: one croner job per kind in the configured time zone. At start it also catches up: if the
 * schedule already fired for the last complete period (the service was down then) and the ledger has no send for it,
 * it sends now. The ledger makes both paths send each period once, across restarts.
 */
export function startDigestScheduler(opts: DigestSchedulerOptions): DigestScheduler {
  const { config, ledger } = opts;
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => new Date());
  const smtp = requireSmtp(config);
  const tz = config.UIS_DIGEST_TZ;
  const patterns: Record<DigestKind, string> = { daily: config.UIS_DIGEST_DAILY_CRON, weekly: config.UIS_DIGEST_WEEKLY_CRON };
  let chain: Promise<unknown> = Promise.resolve();

  // Runs are serialized: a daily and a weekly send at the same minute must not read the snapshot twice at once.
  const run = (kind: DigestKind): Promise<SendOutcome> => {
    const next = chain.then(async () => {
      const period = lastCompletePeriod(kind, now(), tz);
      const entry = ledger.get(period.key);
      if (entry?.state === 'sent') return { status: 'skipped', reason: 'already_sent', sentAt: entry.sentAt } as SendOutcome;
      const source = await opts.openSource();
      try {
        const digest = buildDigest(source, period, opts.companyName());
        return await sendDigest(digest, { ...smtp, ledger, log, retries: opts.retries, minRetryMs: opts.minRetryMs, now });
      } finally {
        source.close();
      }
    });
    chain = next.catch(() => {});
    return next;
  };

  const safeRun = (kind: DigestKind) =>
    run(kind).catch((err: Error) => {
      log(`digest ${kind}: ${err.message}`);
      return null;
    });

  const jobs = config.UIS_DIGEST.map((kind) => ({ kind, cron: new Cron(patterns[kind], { timezone: tz, protect: true, name: `uis-digest-${kind}` }, () => void safeRun(kind)) }));

  const ready = (async () => {
    for (const kind of config.UIS_DIGEST) {
      const fired = lastFireAtOrBefore(patterns[kind], tz, now());
      if (!fired) continue;
      // The period the missed fire would have sent is still the last complete one: send it now (once).
      const due = lastCompletePeriod(kind, fired, tz);
      if (due.key === lastCompletePeriod(kind, now(), tz).key && ledger.get(due.key)?.state !== 'sent') {
        log(`digest ${kind}: catching up on ${due.key} (scheduled ${fired.toISOString()})`);
        await safeRun(kind);
      }
    }
  })();

  log(`digest: ${config.UIS_DIGEST.join(' + ')} to ${smtp.to.length} recipient(s), time zone ${tz}; next ${jobs.map((j) => `${j.kind} ${j.cron.nextRun()?.toISOString() ?? 'never'}`).join(', ')}`);
  return {
    run,
    ready,
    nextRuns: () => Object.fromEntries(jobs.map((j) => [j.kind, j.cron.nextRun()?.toISOString() ?? null])),
    stop: async () => {
      jobs.forEach((j) => j.cron.stop());
      await ready;
      await chain;
    },
  };
}
