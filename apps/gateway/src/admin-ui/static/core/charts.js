// Charts with Chart.js (window.Chart, loaded by index.html from the gateway's own copy of the
// package). One chart per canvas, replaced on every render; no animation, so what a page shows is
// drawn at once.
import { h } from './dom.js';

const COLORS = ['#2457c5', '#d9822b', '#2e9e5b', '#b3261e', '#7b4fc4', '#0f8b8d', '#c2417f', '#6b7a1f', '#8c6d46', '#5f6b7a', '#999999'];
const charts = new Map();

/** A chart's box: a heading and a canvas (with `id`) in a card whose height the chart fills. */
export function chartBox(id, title) {
  return h(
    'figure',
    { class: 'card chart' },
    h('figcaption', {}, title),
    h('div', { class: 'chart-box' }, h('canvas', { id, role: 'img', 'aria-label': title })),
  );
}

/**
 * Draws stacked bars on the canvas `id`: `labels` along x, one dataset per series
 * (`{ label, values }`), `format(value)` for the y axis and tooltips; counts get whole-number ticks.
 */
export function stackedBars(id, labels, series, format = String, { counts = false } = {}) {
  charts.get(id)?.destroy();
  const canvas = document.getElementById(id);
  const chart = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: COLORS[i % COLORS.length], stack: 'all' })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { callback: (value) => format(value), precision: counts ? 0 : undefined } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw)}` } },
      },
    },
  });
  charts.set(id, chart);
  return chart;
}

/** Draws lines on the canvas `id`: `labels` along x, one line per series (`{ label, values }`), whole-number y ticks. */
export function countLines(id, labels, series) {
  const existing = charts.get(id);
  if (existing) {
    // Updated in place, so a chart refreshed every few seconds does not flicker.
    existing.data.labels = labels;
    existing.data.datasets = series.map((s, i) => lineDataset(s, i));
    existing.update('none');
    return existing;
  }
  const chart = new window.Chart(document.getElementById(id), {
    type: 'line',
    data: { labels, datasets: series.map((s, i) => lineDataset(s, i)) },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  charts.set(id, chart);
  return chart;
}

function lineDataset(s, i) {
  const color = COLORS[i % COLORS.length];
  return { label: s.label, data: s.values, borderColor: color, backgroundColor: color, borderWidth: 3, pointRadius: 2 };
}
