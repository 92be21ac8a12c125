// Usage: requests, tokens and spend in all, per key (with budget left), per model and per tag; the latest calls with the API each came through.
import { api } from '../core/api-client.js';
import { $, cell, h, money, table } from '../core/dom.js';

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
    $('#usage-total').textContent = `${total.requests} requests, $${money(total.spend)} spent in all.`;
    const keys = new Map(list.keys.map((k) => [k.token, k]));
    $('#usage-keys-table tbody').replaceChildren(...byKey.map((usage) => keyUsageRow(usage, keys.get(usage.api_key))));
    $('#usage-models-table tbody').replaceChildren(...byModel.map(modelUsageRow));
    $('#usage-tags-table tbody').replaceChildren(...byTag.map(tagUsageRow));
    $('#usage-logs-table tbody').replaceChildren(...logs.map(callRow));
  },
};
