import { pmfVerdictWord } from '../../shared/pmf.js';
import { formatChange, formatValue, humanizeKey, type ReportData } from '../../shared/report.js';
import { int, NONE, pct } from '../../shared/format.js';
import { formatDateLong, maskedUser, noPreviousNote, pmfTally } from './html.js';

/** Markdown for pasting into an update e-mail: the same sections and numbers as the PDF, charts as tables. */

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(headers: string[], rows: string[][], rightAlign: boolean[] = []): string {
  const sep = headers.map((_, i) => (rightAlign[i] ? '---:' : '---'));
  return [headers, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** Long daily series are sampled weekly (plus the last day) so the e-mail stays readable. */
function sampleGrowth<T>(rows: T[]): T[] {
  if (rows.length <= 31) return rows;
  const out = rows.filter((_, i) => i % 7 === 0);
  if (out.at(-1) !== rows.at(-1)) out.push(rows.at(-1)!);
  return out;
}

/** Same wording rule as the HTML cards: nothing to compare with → a dash, not "new". */
function changeCell(value: number | null, previous: number | null, unit: Parameters<typeof formatChange>[2]): string {
  const c = formatChange(value, previous, unit);
  return c == null || c === 'new' ? NONE : c;
}

export function renderReportMarkdown(d: ReportData): string {
  const out: string[] = [];
  out.push(`# ${d.company.name}: ${d.title}`);
  out.push(`**${formatDateLong(d.period.since)} – ${formatDateLong(d.period.until)}**, compared with the previous ${d.period.days} days (${formatDateLong(d.previousPeriod.since)} – ${formatDateLong(d.previousPeriod.until)}).`);

  out.push('## Executive summary');
  if (d.narrative) out.push(d.narrative.text);
  out.push(`**PMF verdict: ${d.pmfOverall.word}** (${d.pmfOverall.summary}).`);
  if (d.previousHasData) {
    out.push(
      table(
        ['Metric', 'This period', 'Previous', 'Change'],
        d.kpis.map((k) => [k.label, formatValue(k.value, k.unit), formatValue(k.previous, k.unit), changeCell(k.value, k.previous, k.unit)]),
        [false, true, true, true],
      ),
    );
  } else {
    out.push(table(['Metric', 'This period'], d.kpis.map((k) => [k.label, formatValue(k.value, k.unit)]), [false, true]));
    out.push(`_${noPreviousNote(d)}_`);
  }

  out.push('## PMF scorecard');
  out.push(pmfTally(d));
  out.push(table(['Signal', 'Value', 'Threshold', 'Verdict'], d.pmf.map((p) => [p.label, formatValue(p.value, p.unit), p.threshold, pmfVerdictWord(p.verdict)]), [false, true, true, false]));

  out.push('## Activation journey');
  out.push(
    table(
      ['Step', 'Users', 'From previous step', 'Of signed up'],
      d.journey.map((s, i) => [s.step, int(s.users), i === 0 ? '' : pct(s.fromPrevious), pct(s.ofFirst)]),
      [false, true, true, true],
    ),
  );

  out.push('## Retention');
  out.push(`Day-1 retention ${pct(d.retention.day1)}, day-7 retention ${pct(d.retention.day7)}.`);
  const weeks = d.retention.curve.slice(0, 9);
  if (weeks.length) out.push(table(weeks.map((p) => `Week ${p.week}`), [weeks.map((p) => pct(p.rate))], weeks.map(() => true)));
  if (d.retention.cohorts.length) {
    const width = Math.max(...d.retention.cohorts.map((c) => c.cells.length));
    const unit = 'Week';
    out.push('### Cohort retention (weekly signup cohorts)');
    out.push(
      table(
        ['Cohort', 'Users', ...Array.from({ length: width }, (_, i) => `${unit} ${i}`)],
        d.retention.cohorts.map((c) => [c.cohort, int(c.size), ...Array.from({ length: width }, (_, i) => (c.cells[i] == null ? '' : `${pct(c.cells[i])}${c.open[i] ? '*' : ''}`))]),
        [false, true, ...Array.from({ length: width }, () => true)],
      ),
    );
    if (d.retention.cohorts.some((c) => c.open.includes(true))) out.push('_* the week has not finished yet: the share so far._');
  }

  out.push('## Growth: daily and weekly active users');
  if (d.growth.length) out.push(table(['Date', 'DAU', 'WAU', 'Signups'], sampleGrowth(d.growth).map((g) => [g.date, int(g.dau), int(g.wau), int(g.signups)]), [false, true, true, true]));
  else out.push('_No activity in this period._');

  out.push('## Top use cases');
  if (d.useCases.length) out.push(table(['#', 'Use case', 'Conversations', 'Users', 'Share of conversations'], d.useCases.slice(0, 8).map((u, i) => [String(i + 1), humanizeKey(u.useCase), int(u.conversations), int(u.users), pct(u.share)]), [true, false, true, true, true]));
  else out.push('_No use cases classified yet._');

  const ce = d.creditExhaustion;
  out.push('## Credit exhaustion');
  out.push(`**${int(ce.exhaustedUsers)}** of ${int(ce.activeUsers)} users (${pct(ce.rate)}) used up their free credits.`);
  if (ce.users.length) {
    out.push(
      table(
        ['User (e-mail masked)', 'Credits used', 'Times hit limit', 'Last active'],
        ce.users.slice(0, 12).map((u) => [maskedUser(u), int(u.creditsUsed), int(u.exhaustionCount), u.lastActiveAt ? formatDateLong(u.lastActiveAt) : NONE]),
        [false, true, true, false],
      ),
    );
  }

  for (const [title, rows, empty, what] of [
    ['Top blockers', d.blockers, 'No blockers recorded in this period.', 'conversations'],
    ['Feature requests', d.featureRequests, 'No feature requests recorded in this period.', 'mentions'],
  ] as const) {
    out.push(`## ${title}`);
    if (rows.length) out.push(rows.slice(0, 10).map((r, i) => `${i + 1}. ${cell(r.text)} (${int(r.count)} ${what}${r.users != null ? `, ${int(r.users)} users` : ''})`).join('\n'));
    else out.push(`_${empty}_`);
  }
  out.push(`_Source of blockers and requests: ${d.insightsSource}. Generated ${formatDateLong(d.generatedAt)} from the ${d.workspace} workspace._`);
  return out.join('\n\n') + '\n';
}
