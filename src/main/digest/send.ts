import nodemailer from 'nodemailer';
import pRetry from 'p-retry';
import type { Digest, RenderedDigest } from '../../shared/digest.js';
import { scrubSecrets } from '../connection-string.js';
import type { DigestLedger } from './ledger.js';
import { renderDigest } from './render.js';

export interface SendOptions {
  smtpUrl: string;
  to: string[];
  from: string;
  ledger: DigestLedger;
  log?: (line: string) => void;
  /** Retries after the first attempt (default 3), with exponential backoff from minRetryMs (default 2 s). */
  retries?: number;
  minRetryMs?: number;
  now?: () => Date;
}

export type SendOutcome =
  | { status: 'sent'; messageId: string; attempts: number; subject: string }
  | { status: 'skipped'; reason: 'already_sent' | 'in_progress'; sentAt: string | null };

/** Mail servers' messages can echo the URL we gave them: strip credentials from anything we log or throw. */
function clean(message: string, smtpUrl: string): string {
  return scrubSecrets(message, [smtpUrl]);
}

/**
 * Sends a digest once per period: claims the period in the ledger, sends by SMTP with retries (each failure logged),
 * marks it sent. If every attempt fails the claim is released (state failed) so a later run can try again.
 */
export async function sendDigest(digest: Digest, opts: SendOptions, rendered: RenderedDigest = renderDigest(digest)): Promise<SendOutcome> {
  const log = opts.log ?? (() => {});
  const now = opts.now ?? (() => new Date());
  const claim = opts.ledger.claim(digest.periodKey, now());
  if (!claim.claimed) {
    log(`digest ${digest.periodKey}: ${claim.reason === 'sent' ? `already sent at ${claim.entry.sentAt}` : 'another process is sending it'}; not sending again`);
    return { status: 'skipped', reason: claim.reason === 'sent' ? 'already_sent' : 'in_progress', sentAt: claim.entry.sentAt };
  }
  // Deterministic Message-ID: should a duplicate ever slip through, mail clients thread or drop it.
  const messageId = `<uis-digest.${digest.periodKey.replace(':', '.')}.${digest.workspace}@uis.local>`;
  const transport = nodemailer.createTransport(opts.smtpUrl);
  let attempts = 0;
  try {
    const info = await pRetry(
      async () => {
        attempts++;
        opts.ledger.attempt(digest.periodKey);
        return transport.sendMail({
          from: opts.from,
          to: opts.to,
          subject: rendered.subject,
          text: rendered.text,
          html: rendered.html,
          messageId,
          headers: { 'X-UIS-Digest-Period': digest.periodKey },
        });
      },
      {
        retries: opts.retries ?? 3,
        minTimeout: opts.minRetryMs ?? 2000,
        factor: 2,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          log(`digest ${digest.periodKey}: send attempt ${attemptNumber} failed: ${clean(error.message, opts.smtpUrl)}${retriesLeft ? `; retrying (${retriesLeft} left)` : '; giving up'}`);
        },
      },
    );
    opts.ledger.markSent(digest.periodKey, messageId, opts.to, now());
    log(`digest ${digest.periodKey}: sent to ${opts.to.length} recipient(s) after ${attempts} attempt(s) (${info.response ?? 'ok'})`);
    return { status: 'sent', messageId, attempts, subject: rendered.subject };
  } catch (err) {
    const message = clean((err as Error).message, opts.smtpUrl);
    opts.ledger.markFailed(digest.periodKey, message);
    throw new Error(`The ${digest.kind} digest for ${digest.periodKey} could not be sent after ${attempts} attempt(s): ${message}`);
  } finally {
    transport.close();
  }
}
