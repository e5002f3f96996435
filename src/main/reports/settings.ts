import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../shared/event.js';
import { ReportSettingsInput, type ReportSettings } from '../../shared/report.js';

export const DEFAULT_REPORT_SETTINGS: ReportSettings = { companyName: 'Your company', logoDataUrl: null };

const LOGO_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.svg': 'image/svg+xml', '.webp': 'image/webp', '.gif': 'image/gif' };
export const MAX_LOGO_BYTES = 512 * 1024;

/** Reads a logo file into the data URL the report embeds (no external fetch at render time). */
export function logoFileToDataUrl(file: string): string {
  const type = LOGO_TYPES[path.extname(file).toLowerCase()];
  if (!type) throw new Error(`--logo: ${path.basename(file)} is not a PNG, JPEG, SVG, WebP or GIF file`);
  const bytes = fs.readFileSync(file);
  if (bytes.length > MAX_LOGO_BYTES) throw new Error(`--logo: ${path.basename(file)} is larger than ${MAX_LOGO_BYTES / 1024} KB`);
  return `data:${type};base64,${bytes.toString('base64')}`;
}

/** Company name and logo for report title pages, in `<dataDir>/report-settings.json` (shared by CLI, service, workbench). */
export class ReportSettingsStore {
  readonly file: string;
  constructor(dir: string) {
    this.file = path.join(dir, 'report-settings.json');
  }

  get(): ReportSettings {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_REPORT_SETTINGS };
      throw err;
    }
    const parsed = ReportSettingsInput.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.file} is damaged: ${describeIssues(parsed.error)}`);
    return { ...DEFAULT_REPORT_SETTINGS, ...parsed.data };
  }

  set(patch: z.input<typeof ReportSettingsInput>): ReportSettings {
    const next = { ...this.get(), ...ReportSettingsInput.parse(patch) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(next, null, 2));
    fs.renameSync(tmp, this.file);
    return next;
  }
}
