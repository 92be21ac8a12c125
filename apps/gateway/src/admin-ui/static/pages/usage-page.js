// Usage: requests, tokens and spend in all, per key (with budget left) and per model.
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
      h('p', { class: 'muted' }, 'Requests and spend come from the spend log; calls appear within a second or two of ending.'),
    );
  },
  async show() {
    const [total, byKey, byModel, list] = await Promise.all([
      api('/global/spend'),
      api('/global/spend/keys?limit=100'),
      api('/global/spend/models?limit=100'),
      api('/key/list?return_full_object=true&size=100'),
    ]);
    $('#usage-total').textContent = `${total.requests} requests, $${money(total.spend)} spent in all.`;
    const keys = new Map(list.keys.map((k) => [k.token, k]));
    $('#usage-keys-table tbody').replaceChildren(...byKey.map((usage) => keyUsageRow(usage, keys.get(usage.api_key))));
    $('#usage-models-table tbody').replaceChildren(...byModel.map(modelUsageRow));
  },
};
