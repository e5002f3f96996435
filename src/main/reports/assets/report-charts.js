/*
 * Runs in the report page (a classic script after the inlined Chart.js; src/main/reports/html.ts inlines this file):
 * draws the four charts from the JSON in #report-charts without animation, then sets <html data-charts-ready="1">
 * for the PDF printer. Linted with the rest of the tree (eslint.config.js: browser globals and Chart).
 */
(function drawReportCharts() {
  'use strict';
  var data = JSON.parse(document.getElementById('report-charts').textContent);
  var accent = '#4338ca';
  var soft = 'rgba(67,56,202,0.15)';
  var grid = '#eef0f3';
  Chart.defaults.font.family = '"DejaVu Sans", Arial, sans-serif';
  Chart.defaults.font.size = 11;
  Chart.defaults.color = '#374151';
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.devicePixelRatio = 2;

  function make(id, cfg) {
    var el = document.getElementById(id);
    if (el) new Chart(el, cfg);
  }
  function percentTick(v) {
    return v + '%';
  }
  function scales(pct) {
    return { x: { grid: { display: false } }, y: { beginAtZero: true, grid: { color: grid }, ticks: pct ? { callback: percentTick } : { precision: 0 } } };
  }
  function noLegend() {
    return { legend: { display: false } };
  }

  make('chart-journey', {
    type: 'bar',
    data: { labels: data.journey.labels, datasets: [{ label: 'Users', data: data.journey.values, backgroundColor: accent, borderRadius: 3 }] },
    options: { plugins: noLegend(), scales: scales(false) },
  });
  make('chart-curve', {
    type: 'line',
    data: {
      labels: data.curve.labels,
      datasets: [{ label: 'Retained', data: data.curve.values, borderColor: accent, backgroundColor: soft, fill: true, tension: 0.25, pointRadius: 2, spanGaps: true }],
    },
    options: { plugins: noLegend(), scales: Object.assign(scales(true), { y: { beginAtZero: true, max: 100, grid: { color: grid }, ticks: { callback: percentTick } } }) },
  });
  make('chart-growth', {
    type: 'line',
    data: {
      labels: data.growth.labels,
      datasets: [
        { label: 'DAU', data: data.growth.dau, borderColor: accent, backgroundColor: accent, pointRadius: 0, tension: 0.2 },
        { label: 'WAU', data: data.growth.wau, borderColor: '#0d9488', backgroundColor: '#0d9488', pointRadius: 0, tension: 0.2 },
      ],
    },
    options: { plugins: { legend: { position: 'top', align: 'end' } }, scales: Object.assign(scales(false), { x: { grid: { display: false }, ticks: { maxTicksLimit: 10 } } }) },
  });
  make('chart-usecases', {
    type: 'bar',
    data: { labels: data.useCases.labels, datasets: [{ label: 'Share of conversations', data: data.useCases.values, backgroundColor: accent, borderRadius: 3 }] },
    options: {
      indexAxis: 'y',
      plugins: noLegend(),
      scales: { x: { beginAtZero: true, grid: { color: grid }, ticks: { callback: percentTick } }, y: { grid: { display: false } } },
    },
  });
  document.documentElement.dataset.chartsReady = '1';
})();
