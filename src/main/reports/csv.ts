import { stringify } from 'csv-stringify/sync';
import JSZip from 'jszip';
import { reportTables, type ReportData } from '../../shared/report.js';

/** One CSV per report table (stable header row, RFC 4180, UTF-8), zipped. Rates are fractions 0..1. */
export function reportCsvFiles(d: ReportData): { name: string; csv: string }[] {
  return reportTables(d).map((t) => ({ name: `${t.name}.csv`, csv: stringify([t.headers, ...t.rows.map((r) => r.map((v) => (v == null ? '' : v)))]) }));
}

export async function renderReportZip(d: ReportData): Promise<Buffer> {
  const zip = new JSZip();
  // A fixed date keeps the zip byte-identical for the same data (file times would otherwise differ per run).
  const date = new Date(`${d.generatedAt.slice(0, 10)}T00:00:00Z`);
  for (const f of reportCsvFiles(d)) zip.file(f.name, f.csv, { date });
  zip.file(
    'README.txt',
    `${d.company.name}: ${d.title}, ${d.period.since} to ${d.period.until} (workspace ${d.workspace}).\nOne CSV per table of the report; the first row is the header. Rates and shares are fractions between 0 and 1.\n`,
    { date },
  );
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
