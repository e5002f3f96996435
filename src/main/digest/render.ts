import type { Digest, RenderedDigest } from '../../shared/digest.js';
import { pmfVerdictWord } from '../../shared/pmf.js';
import { formatChange, formatValue, type Kpi } from '../../shared/report.js';
import { int } from '../../shared/format.js';
import { escapeHtml } from '../html.js';

function shortDate(iso: string): string {
  return new Date(`${iso}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function periodLabel(d: Digest): string {
  return d.period.since === d.period.until ? shortDate(d.period.since) : `${shortDate(d.period.since)} – ${shortDate(d.period.until)}`;
}

function changeText(k: Kpi): string {
  return formatChange(k.value, k.previous, k.unit) ?? 'no prior data';
}

export function digestSubject(d: Digest): string {
  const active = d.keyNumbers.find((k) => k.key === 'active_users');
  const parts = [active ? `${int(active.value)} active users (${changeText(active)})` : null];
  if (d.newlyExhausted.length) parts.push(`${d.newlyExhausted.length} hot lead${d.newlyExhausted.length === 1 ? '' : 's'}`);
  if (d.anomalies.length) parts.push(`${d.anomalies.length} anomal${d.anomalies.length === 1 ? 'y' : 'ies'}`);
  return `${d.company} ${d.kind} digest, ${periodLabel(d)}: ${parts.filter(Boolean).join(', ')}`;
}

const CELL = 'padding:6px 10px;border-bottom:1px solid #e5e7eb;font-size:14px;';
const NUM = `${CELL}text-align:right;white-space:nowrap;`;
const H2 = 'font-size:16px;margin:24px 0 8px;color:#111827;';

/** HTML for mail clients: tables and inline styles only (no scripts, no SVG, no remote images). */
export function renderDigest(d: Digest): RenderedDigest {
  const prevLabel = d.kind === 'daily' ? 'the day before' : 'the week before';
  const subject = digestSubject(d);

  const html: string[] = [];
  const text: string[] = [];
  html.push(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="margin:0;padding:24px;background:#f9fafb;font-family:Arial,Helvetica,sans-serif;color:#111827;">`,
    `<div style="max-width:640px;margin:0 auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:24px;">`,
    `<div style="font-size:12px;letter-spacing:1px;text-transform:uppercase;color:#4338ca;font-weight:bold;">${escapeHtml(d.company)} · ${d.kind} digest</div>`,
    `<h1 style="font-size:22px;margin:6px 0 4px;">${escapeHtml(periodLabel(d))}</h1>`,
    `<div style="color:#6b7280;font-size:13px;">Changes are against ${prevLabel}. Workspace: ${escapeHtml(d.workspace)}.</div>`,
  );
  text.push(`${d.company}: ${d.kind} digest for ${periodLabel(d)}`, `Changes are against ${prevLabel}. Workspace: ${d.workspace}.`, '');

  html.push(`<h2 style="${H2}">Key numbers</h2><table style="border-collapse:collapse;width:100%;"><tr><th style="${CELL}text-align:left;color:#6b7280;font-size:12px;">Metric</th><th style="${NUM}color:#6b7280;font-size:12px;">Value</th><th style="${NUM}color:#6b7280;font-size:12px;">Previous</th><th style="${NUM}color:#6b7280;font-size:12px;">Change</th></tr>`);
  text.push('KEY NUMBERS');
  for (const k of d.keyNumbers) {
    html.push(`<tr><td style="${CELL}">${escapeHtml(k.label)}</td><td style="${NUM}font-weight:bold;">${escapeHtml(formatValue(k.value, k.unit))}</td><td style="${NUM}color:#6b7280;">${escapeHtml(formatValue(k.previous, k.unit))}</td><td style="${NUM}">${escapeHtml(changeText(k))}</td></tr>`);
    text.push(`- ${k.label}: ${formatValue(k.value, k.unit)} (previous ${formatValue(k.previous, k.unit)}, ${changeText(k)})`);
  }
  html.push('</table>');
  text.push('');

  const section = (title: string, items: { html: string; text: string }[], empty: string) => {
    html.push(`<h2 style="${H2}">${escapeHtml(title)}</h2>`);
    text.push(title.toUpperCase());
    if (!items.length) {
      html.push(`<p style="color:#6b7280;font-size:14px;margin:0;">${escapeHtml(empty)}</p>`);
      text.push(`  ${empty}`);
    } else {
      html.push(`<ul style="margin:0;padding-left:20px;font-size:14px;line-height:1.6;">${items.map((i) => `<li>${i.html}</li>`).join('')}</ul>`);
      for (const i of items) text.push(`- ${i.text}`);
    }
    text.push('');
  };

  section(
    'Anomalies',
    d.anomalies.map((a) => ({ html: `<strong style="color:#b91c1c;">${escapeHtml(a.message)}</strong>`, text: a.message })),
    'Nothing unusual.',
  );
  section(
    'Users who just ran out of credits (hot leads)',
    d.newlyExhausted.slice(0, 20).map((u) => {
      const who = u.email ?? u.userId;
      return { html: `${escapeHtml(who)}: ${int(u.creditsUsed)} credits used`, text: `${who}: ${int(u.creditsUsed)} credits used` };
    }),
    'Nobody new ran out of credits.',
  );
  // The overall verdict, in Overview's words, over the 30-day window the changes below are judged on.
  const overall = `PMF verdict (last 30 days): ${d.pmfOverall.word} (${d.pmfOverall.summary})`;
  html.push(`<h2 style="${H2}">PMF verdict</h2><p style="font-size:14px;margin:0;" data-pmf-overall="${escapeHtml(d.pmfOverall.verdict)}">${escapeHtml(overall)}</p>`);
  text.push('PMF VERDICT', `  ${overall}`, '');
  section(
    'PMF signals that changed verdict',
    d.pmfChanges.map((c) => {
      const line = `${c.label}: ${pmfVerdictWord(c.from)} → ${pmfVerdictWord(c.to)} (now ${formatValue(c.value, c.unit)})`;
      return { html: escapeHtml(line), text: line };
    }),
    'No PMF signal changed verdict (30-day window).',
  );
  section(
    'New top blockers',
    d.newBlockers.map((b) => ({ html: `${escapeHtml(b.text)} <span style="color:#6b7280;">(${int(b.count)} conversations)</span>`, text: `${b.text} (${int(b.count)} conversations)` })),
    'No new blockers in the top 5.',
  );
  section(
    'New feature requests',
    d.newFeatureRequests.map((b) => ({ html: `${escapeHtml(b.text)} <span style="color:#6b7280;">(${int(b.count)} mentions)</span>`, text: `${b.text} (${int(b.count)} mentions)` })),
    'No new requests in the top 5.',
  );
  if (d.newlyExhausted.length > 20) text.push(`(${d.newlyExhausted.length - 20} more hot leads in the workbench)`);
  html.push(`<p style="color:#9ca3af;font-size:12px;margin-top:24px;">Sent by the User Intelligence System. Period key ${escapeHtml(d.periodKey)}.</p></div></body></html>`);
  text.push(`Sent by the User Intelligence System. Period key ${d.periodKey}.`);
  return { subject, html: html.join(''), text: text.join('\n') };
}
