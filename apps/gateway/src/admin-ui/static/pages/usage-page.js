// Usage: spend, calls and tokens over time (per day or hour, per key, model or tag) as charts;
// requests, tokens and spend in all, per key (with budget left), per model and per tag; the latest
// calls with the API each came through.
import { api } from '../core/api-client.js';
import { chartBox, stackedBars } from '../core/charts.js';
import { $, cell, h, money, table } from '../core/dom.js';
import { say } from '../core/status-line.js';

const HOUR_MS = 3_600_000;

/** Every bucket start from `start` to `end` (ISO strings), so hours or days without calls show as gaps. */
function bucketsBetween(start, end, granularity) {
  const step = granularity === 'hour' ? HOUR_MS : 24 * HOUR_MS;
  const first = Math.floor(Date.parse(start) / step) * step;
  const buckets = [];
  for (let t = first; t <= Date.parse(end); t += step) buckets.push(new Date(t).toISOString());
  return buckets;
}

function bucketLabel(iso, granularity) {
  return granularity === 'hour' ? `${iso.slice(5, 10)} ${iso.slice(11, 13)}h` : iso.slice(0, 10);
}

async function renderCharts() {
  const granularity = $('#usage-granularity').value;
  const groupBy = $('#usage-group-by').value;
  const activity = await api(`/spend/activity?granularity=${granularity}${groupBy ? `&group_by=${groupBy}` : ''}`);
  const buckets = bucketsBetween(activity.start_date, activity.end_date, granularity);
  const index = new Map(buckets.map((b, i) => [b, i]));
  const series = new Map();
  for (const row of activity.data) {
    const key = row.group === null ? `\u0000${row.label}` : row.group;
    if (!series.has(key)) series.set(key, { label: row.label, spend: [], requests: [], total_tokens: [] });
    const s = series.get(key);
    const i = index.get(row.bucket);
    if (i === undefined) continue;
    s.spend[i] = row.spend;
    s.requests[i] = row.requests;
    s.total_tokens[i] = row.total_tokens;
  }
  const labels = buckets.map((b) => bucketLabel(b, granularity));
  const of = (field) => [...series.values()].map((s) => ({ label: s.label, values: buckets.map((_, i) => s[field][i] ?? 0) }));
  stackedBars('usage-spend-chart', labels, of('spend'), (v) => `$${money(v)}`);
  stackedBars('usage-calls-chart', labels, of('requests'), String, { counts: true });
  stackedBars('usage-tokens-chart', labels, of('total_tokens'), String, { counts: true });
  $('#usage-charts-empty').hidden = activity.data.length > 0;
}

function select(id, label, options) {
  return h(
    'div',
    {},
    h('label', { for: id }, label),
    h(
      'select',
      { id, onchange: () => void renderCharts().catch((err) => say(err.message)) },
      options.map(([value, text]) => h('option', { value }, text)),
    ),
  );
}

function keyUsageRow(usage, key) {
  const row = h('tr');
  cell(row, usage.api_key === null ? 'master key' : usage.key_alias || (key ? '' : 'deleted key'));
  cell(row, usage.key_name);
  cell(row, usage.requests);
  cell(row, usage.total_tokens);
  cell(row, money(usage.total_spend));
  cell(row, key ? money(key.max_budget) : null);
  cell(row, key && key.max_budget !== null ? money(Math.max(0, key.max_budget - key.spend)) : null);
  return row;
}

function modelUsageRow(usage) {
  const row = h('tr');
  cell(row, usage.model);
  cell(row, usage.requests);
  cell(row, usage.total_tokens);
  cell(row, money(usage.total_spend));
  return row;
}

function tagUsageRow(usage) {
  const row = h('tr');
  cell(row, usage.individual_request_tag);
  cell(row, usage.log_count);
  cell(row, usage.total_tokens);
  cell(row, money(usage.total_spend));
  return row;
}

function callRow(log) {
  const row = h('tr');
  cell(row, log.startTime.replace('T', ' ').slice(0, 19));
  cell(row, log.key_alias ?? (log.api_key === null ? 'master key' : ''));
  cell(row, log.model_group);
  cell(row, log.api);
  cell(row, log.request_tags.join(', '));
  cell(row, log.total_tokens);
  cell(row, money(log.spend));
  cell(row, log.status);
  return row;
}

export const usagePage = {
  path: 'usage',
  title: 'Usage',
  mount(section) {
    section.append(
      h('p', { id: 'usage-total', class: 'card narrow' }),
      h(
        'div',
        { class: 'controls' },
        select('usage-granularity', 'Over', [
          ['day', 'the last 30 days, per day'],
          ['hour', 'the last 48 hours, per hour'],
        ]),
        select('usage-group-by', 'Per', [
          ['key', 'key'],
          ['model', 'model'],
          ['tag', 'tag'],
          ['', 'all calls together'],
        ]),
      ),
      h('p', { id: 'usage-charts-empty', class: 'muted', hidden: true }, 'No calls in this period.'),
      h(
        'div',
        { class: 'charts' },
        chartBox('usage-spend-chart', 'Spend (USD)'),
        chartBox('usage-calls-chart', 'Calls'),
        chartBox('usage-tokens-chart', 'Tokens'),
      ),
      h('h2', {}, 'Per key'),
      table('usage-keys-table', ['Name', 'Key', 'Requests', 'Tokens', 'Spend (USD)', 'Budget (USD)', 'Budget left (USD)']),
      h('h2', {}, 'Per model'),
      table('usage-models-table', ['Model', 'Requests', 'Tokens', 'Spend (USD)']),
      h('h2', {}, 'Per tag'),
      table('usage-tags-table', ['Tag', 'Requests', 'Tokens', 'Spend (USD)']),
      h('h2', {}, 'Latest calls'),
      table('usage-logs-table', ['Started (UTC)', 'Key', 'Model', 'API', 'Tags', 'Tokens', 'Spend (USD)', 'Status']),
      h('p', { class: 'muted' }, 'Requests and spend come from the spend log; calls appear within a second or two of ending.'),
    );
  },
  async show() {
    const [total, byKey, byModel, byTag, logs, list] = await Promise.all([
      api('/global/spend'),
      api('/global/spend/keys?limit=100'),
      api('/global/spend/models?limit=100'),
      api('/spend/tags?limit=100'),
      api('/spend/logs?limit=20'),
      api('/key/list?return_full_object=true&size=100'),
    ]);
    await renderCharts();
    $('#usage-total').textContent = `${total.requests} requests, $${money(total.spend)} spent in all.`;
    const keys = new Map(list.keys.map((k) => [k.token, k]));
    $('#usage-keys-table tbody').replaceChildren(...byKey.map((usage) => keyUsageRow(usage, keys.get(usage.api_key))));
    $('#usage-models-table tbody').replaceChildren(...byModel.map(modelUsageRow));
    $('#usage-tags-table tbody').replaceChildren(...byTag.map(tagUsageRow));
    $('#usage-logs-table tbody').replaceChildren(...logs.map(callRow));
  },
};
