import type { Command } from 'commander';
import { z } from 'zod';
import { IsoDate, ReportFormat } from '../../shared/report.js';
import { dataDir, readEnv } from '../config.js';
import { exportReport } from '../reports/export.js';
import { logoFileToDataUrl, ReportSettingsStore } from '../reports/settings.js';
import { openWorkspaceSource } from '../reports/source.js';
import { workspaceLlmConfig } from '../workspace/llm.js';
import { WorkspaceStore } from '../workspace/store.js';
import { parseOption } from './options.js';

const ReportOptions = z
  .object({
    format: ReportFormat,
    out: z.string().min(1, 'give the file to write'),
    since: IsoDate.optional(),
    until: IsoDate.optional(),
    workspace: z.string().min(1).max(64).optional(),
    narrative: z.boolean().default(false),
    company: z.string().trim().min(1).max(120).optional(),
    logo: z.string().min(1).optional(),
    saveSettings: z.boolean().default(false),
  })
  .refine((o) => !o.since || !o.until || o.since <= o.until, { message: 'must be on or before --until', path: ['since'] });

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('export the investor report (PDF, Markdown, CSV zip or HTML) for a period')
    .requiredOption('--format <format>', 'pdf | md | csv | html')
    .requiredOption('--out <path>', 'file to write (written whole or not at all)')
    .option('--since <date>', 'first day, YYYY-MM-DD (default: the 30 days ending on --until)')
    .option('--until <date>', 'last day, YYYY-MM-DD (default: the last day with data)')
    .option('--workspace <name>', 'workspace to report on (default: the active one)')
    .option('--narrative', 'add an LLM-written summary (the workspace\'s LLM: Settings → AI, else OPENAI_*); dropped if it states a number not in the metrics')
    .option('--company <name>', 'company name on the title page (default: report settings)')
    .option('--logo <file>', 'logo image (PNG, JPEG, SVG, WebP, GIF; max 512 KB) for the title page')
    .option('--save-settings', 'remember --company / --logo for later reports and the workbench')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOption(ReportOptions, raw);
      const env = readEnv();
      const dir = dataDir(env);
      const settingsStore = new ReportSettingsStore(dir);
      const override = { ...(opts.company ? { companyName: opts.company } : {}), ...(opts.logo ? { logoDataUrl: logoFileToDataUrl(opts.logo) } : {}) };
      const settings = opts.saveSettings ? settingsStore.set(override) : { ...settingsStore.get(), ...override };

      const controller = new AbortController();
      const onSigint = () => {
        process.stderr.write('\ncancelling…\n');
        controller.abort();
      };
      process.once('SIGINT', onSigint);
      const source = openWorkspaceSource(dir, opts.workspace);
      try {
        const result = await exportReport(source, {
          format: opts.format,
          out: opts.out,
          since: opts.since,
          until: opts.until,
          narrative: opts.narrative,
          settings,
          // The workspace's LLM (Settings → AI) over the environment defaults, as in the workbench.
          llm: opts.narrative ? workspaceLlmConfig(new WorkspaceStore(dir), source.workspace) : null,
          signal: controller.signal,
          onProgress: (f, msg) => process.stderr.write(`[${String(Math.round(f * 100)).padStart(3)}%] ${msg}\n`),
        });
        for (const w of result.warnings) process.stderr.write(`note: ${w}\n`);
        console.log(`${result.format.toUpperCase()} report for ${result.period.since} – ${result.period.until} (workspace ${source.workspace}) written to ${result.path} (${result.bytes} bytes)`);
      } catch (err) {
        if (controller.signal.aborted) {
          process.stderr.write('Export cancelled; no file was written.\n');
          process.exitCode = 130;
          return;
        }
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
        source.close();
      }
    });
}
