import type { Command } from 'commander';
import { z } from 'zod';
import { DigestKind } from '../../shared/digest.js';
import { IsoDate } from '../../shared/report.js';
import { dataDir, readDigestConfig, readEnv } from '../config.js';
import { buildDigest } from '../digest/build.js';
import { requireSmtp } from '../digest/config.js';
import { DigestLedger } from '../digest/ledger.js';
import { lastCompletePeriod, periodEndingOn } from '../digest/periods.js';
import { renderDigest } from '../digest/render.js';
import { sendDigest } from '../digest/send.js';
import { writeFileAtomic } from '../reports/export.js';
import { ReportSettingsStore } from '../reports/settings.js';
import { openWorkspaceSource } from '../reports/source.js';
import { parseOption } from './options.js';

const DigestOptions = z
  .object({
    kind: DigestKind.default('daily'),
    until: IsoDate.optional(),
    send: z.boolean().default(false),
    preview: z.string().min(1).optional(),
    workspace: z.string().min(1).max(64).optional(),
  })
  .refine((o) => o.send !== !!o.preview, { message: 'give exactly one of --send or --preview FILE', path: ['send'] });

export function registerDigestCommand(program: Command): void {
  program
    .command('digest')
    .description('the insights e-mail: send it now (once per period) or preview it as HTML')
    .option('--kind <kind>', 'daily | weekly (default daily)')
    .option('--until <date>', 'last day of the period, YYYY-MM-DD (default: yesterday / last week in UIS_DIGEST_TZ)')
    .option('--send', 'send by SMTP (SMTP_URL, UIS_DIGEST_TO); a period already sent is not sent again')
    .option('--preview <file>', 'write the e-mail as HTML to this file instead of sending')
    .option('--workspace <name>', 'workspace (default: UIS_DIGEST_WORKSPACE, else the active one)')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOption(DigestOptions, raw);
      const env = readEnv();
      const config = readDigestConfig();
      const dir = dataDir(env);
      const period = opts.until ? periodEndingOn(opts.kind, opts.until) : lastCompletePeriod(opts.kind, new Date(), config.UIS_DIGEST_TZ);
      const smtp = opts.send ? requireSmtp(config) : null;
      const source = openWorkspaceSource(dir, opts.workspace ?? config.UIS_DIGEST_WORKSPACE);
      try {
        const digest = buildDigest(source, period, new ReportSettingsStore(dir).get().companyName);
        const rendered = renderDigest(digest);
        if (opts.preview) {
          await writeFileAtomic(opts.preview, Buffer.from(rendered.html, 'utf8'));
          console.log(`Preview of "${rendered.subject}" written to ${opts.preview}`);
          return;
        }
        const ledger = DigestLedger.inDataDir(dir);
        try {
          const outcome = await sendDigest(digest, { ...smtp!, ledger, log: (l) => process.stderr.write(l + '\n') }, rendered);
          if (outcome.status === 'sent') console.log(`Sent "${outcome.subject}" to ${smtp!.to.join(', ')}`);
          else console.log(`Not sent: the ${period.key} digest was ${outcome.reason === 'already_sent' ? `already sent at ${outcome.sentAt}` : 'being sent by another process'}.`);
        } finally {
          ledger.close();
        }
      } finally {
        source.close();
      }
    });
}
