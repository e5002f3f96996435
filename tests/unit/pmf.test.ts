import { describe, expect, it } from 'vitest';
import { buildReportData, resolvePeriods } from '../../src/main/reports/build.js';
import { renderReportHtml } from '../../src/main/reports/html.js';
import { renderReportMarkdown } from '../../src/main/reports/markdown.js';
import { PMF_MIN_SAMPLE, PMF_OVERALL_WORDS, PMF_VERDICT_WORDS, pmfBadge, pmfOverall, pmfVerdictWord, type PmfGroup, type PmfVerdict } from '../../src/shared/pmf.js';
import { DEFAULT_PMF_THRESHOLDS } from '../../src/shared/metrics.js';
import { fixtureDashboard } from './report.fixture.js';

const sig = (group: PmfGroup, verdict: PmfVerdict, id = `${group}-${verdict}`) => ({ id, group, verdict });

describe('the PMF vocabulary', () => {
  it('one word per verdict, and the minimum sample is the thresholds default', () => {
    expect(Object.values(PMF_VERDICT_WORDS)).toEqual(['Strong signal', 'Weak signal', 'Pivot signal', 'Not seen', 'Not enough data']);
    expect(pmfVerdictWord('not_seen')).toBe('Not seen');
    expect(DEFAULT_PMF_THRESHOLDS.minSample).toBe(PMF_MIN_SAMPLE);
  });

  it('the overall verdict needs more than half of the checks measured', () => {
    const none = Array.from({ length: 11 }, (_, i) => sig(i < 4 ? 'strong' : i < 8 ? 'weak' : 'pivot', 'not_enough_data'));
    expect(pmfOverall(none)).toMatchObject({ verdict: 'not_enough_data', word: 'Not enough data', measured: 0, checks: 11 });
    // 5 of 11 measured (2 strong present): still not enough data; 6 of 11: a verdict.
    const five = [sig('strong', 'strong'), sig('strong', 'strong'), sig('weak', 'not_seen'), sig('weak', 'not_seen'), sig('pivot', 'not_seen'), ...none.slice(5)];
    expect(pmfOverall(five).verdict).toBe('not_enough_data');
    const six = [...five.slice(0, 5), sig('pivot', 'not_seen'), ...none.slice(6)];
    expect(pmfOverall(six)).toMatchObject({ verdict: 'fit', word: PMF_OVERALL_WORDS.fit, strong: 2, measured: 6 });
    expect(pmfOverall([]).verdict).toBe('not_enough_data');
  });

  it('fit / pivot / interest as Overview has always read them', () => {
    const base = Array.from({ length: 6 }, (_, i) => sig('weak', 'not_seen', `w${i}`));
    expect(pmfOverall([...base, sig('strong', 'strong'), sig('strong', 'strong'), sig('weak', 'weak')]).verdict).toBe('fit');
    expect(pmfOverall([...base, sig('strong', 'strong'), sig('strong', 'strong'), sig('weak', 'weak'), sig('weak', 'weak')]).verdict).toBe('interest');
    expect(pmfOverall([...base, sig('pivot', 'pivot'), sig('pivot', 'pivot')]).verdict).toBe('pivot');
    expect(pmfOverall(base).verdict).toBe('interest');
  });

  it("a tile's badge is its check's verdict", () => {
    const signals = [{ id: 'credit_exhaustion', verdict: 'not_seen' as const }];
    expect(pmfBadge(signals, 'credit_exhaustion')).toEqual({ word: 'Not seen', tone: 'neutral', verdict: 'not_seen' });
    expect(pmfBadge(signals, 'nope')).toBeNull();
  });
});

describe('the report without a previous period', () => {
  const periods = resolvePeriods({ since: '2026-11-01', until: '2026-11-27' }, null);
  const current = fixtureDashboard(periods.current.since, periods.current.until);
  const previous = fixtureDashboard(periods.previous.since, periods.previous.until, 0);
  const data = buildReportData({ current, previous, ranOutUsers: current.ranOutUsers.rows, periods, settings: { companyName: 'Latent Labs', logoDataUrl: null }, workspace: 'demo' });

  it('says once that there is nothing to compare with, not on every number', () => {
    expect(data.previousHasData).toBe(false);
    const html = renderReportHtml(data, { charts: false });
    expect(html.match(/No data for the previous period/gi)).toHaveLength(1);
    expect(html).not.toContain('previous: ');
    const md = renderReportMarkdown(data);
    expect(md.match(/No data for the previous period/gi)).toHaveLength(1);
    expect(md).not.toContain('| Previous |');
  });

  it('states the overall verdict in the words Overview uses', () => {
    const o = pmfOverall(current.pmfSignals);
    expect(data.pmfOverall).toEqual({ verdict: o.verdict, word: o.word, summary: o.summary });
    expect(renderReportHtml(data, { charts: false })).toContain(`PMF verdict: <strong>${o.word}</strong>`);
  });
});
