// Models: every deployment the gateway serves, config.yaml and database, with its live state
// (serving, cooling down, paused after an upstream 429), recent latency and error rate, refreshed
// every few seconds; add and delete database models when the gateway stores models
// (STORE_MODEL_IN_DB=true).
import { api } from '../../core/api-client.js';
import { $, actionsCell, button, cell, h, table } from '../../core/dom.js';
import { modelsCanChange } from '../../core/session.js';
import { say } from '../../core/status-line.js';
import { modelForm } from './model-form.js';

const HEADINGS = [
  'Model name',
  'State',
  'Latency p50 / p95',
  'Errors',
  'In flight',
  'Mode',
  'Provider',
  'Upstream model',
  'Access groups',
  'API base',
  'Source',
  'ID',
  'Actions',
];
export const MODELS_REFRESH_MS = 5_000;
const STATE_LABELS = { serving: 'serving', cooling_down: 'cooling down', paused: 'paused after upstream 429' };
let form;
let timer = null;
/** The gateway's provider list, asked for once. */
let providers = null;

function modelRow(m, canChange) {
  const row = h('tr', { 'data-model-id': m.model_info.id });
  cell(row, m.model_name);
  for (const field of ['state', 'latency', 'errors', 'in-flight']) cell(row, null).dataset.live = field;
  cell(row, typeof m.model_info.mode === 'string' ? m.model_info.mode : 'chat');
  cell(row, m.model_info.provider);
  cell(row, m.model_info.upstream_model);
  cell(row, Array.isArray(m.model_info.access_groups) ? m.model_info.access_groups.join(', ') : '');
  cell(row, m.litellm_params.api_base);
  cell(row, m.model_info.db_model ? 'database' : 'config.yaml');
  cell(row, m.model_info.id);
  const actions = actionsCell(row);
  if (m.model_info.db_model && canChange) {
    const remove = button('Delete', () => deleteModel(m), 'danger');
    remove.setAttribute('aria-label', `Delete ${m.model_name} (${m.model_info.id})`);
    actions.append(remove);
  }
  return row;
}

/** Fills the live cells of each row from GET /model/status. */
async function refreshLive() {
  const { data } = await api('/model/status');
  for (const s of data) {
    const row = document.querySelector(`#models-table tr[data-model-id="${CSS.escape(s.model_id)}"]`);
    if (!row) continue;
    const until = s.paused_until ?? s.cooling_down_until;
    const badge = h(
      'span',
      { class: `badge ${s.state}`, title: until ? `until ${until.replace('T', ' ').slice(0, 19)} UTC` : null },
      STATE_LABELS[s.state] ?? s.state,
    );
    row.querySelector('[data-live=state]').replaceChildren(badge);
    const { p50, p95 } = s.recent.latency_ms;
    row.querySelector('[data-live=latency]').textContent = p50 === null ? '—' : `${p50} / ${p95} ms`;
    row.querySelector('[data-live=errors]').textContent = s.recent.error_rate === null ? '—' : `${Math.round(s.recent.error_rate * 100)}% of ${s.recent.calls}`;
    const inFlight = row.querySelector('[data-live=in-flight]');
    // Counted across workers only for a deployment with a limit; otherwise this gateway's own calls.
    inFlight.textContent = s.in_flight === null ? `${s.in_flight_here} here` : String(s.in_flight);
    inFlight.title = s.in_flight === null ? 'no rpm, tpm or max_parallel_requests: calls are counted by this gateway only' : 'across all workers';
  }
}

async function renderModels() {
  const canChange = modelsCanChange();
  const [{ data }] = await Promise.all([api('/model/info'), canChange && !providers ? loadProviders() : null]);
  $('#models-table tbody').replaceChildren(...data.map((m) => modelRow(m, canChange)));
  $('#models-store-off').hidden = canChange;
  $('#add-model').hidden = !canChange;
  await refreshLive();
}

async function loadProviders() {
  providers = (await api('/provider/list')).data;
  form.setProviders(providers);
}

async function deleteModel(m) {
  if (!confirm(`Delete model ${m.model_name} (${m.model_info.id})? Calls to it stop being served.`)) return;
  try {
    await api('/model/delete', { body: { id: m.model_info.id } });
    say(`Model ${m.model_name} deleted`);
    await renderModels();
  } catch (err) {
    say(err.message);
  }
}

export const modelsPage = {
  path: 'models',
  title: 'Models',
  mount(section) {
    form = modelForm(async (model) => {
      say(`Model ${model} added`);
      await renderModels();
    });
    section.append(
      table('models-table', HEADINGS),
      h(
        'p',
        { id: 'models-store-off', class: 'muted', hidden: true },
        'Models come from config.yaml. Set ',
        h('code', {}, 'STORE_MODEL_IN_DB=true'),
        ' to add and delete models here.',
      ),
      h(
        'p',
        { class: 'muted' },
        'State: paused after an upstream 429 (every worker holds its calls), cooling down after repeated failures, or serving. Cooldowns, latency (from the gateway sending a call to its answer, over its latest 100 calls in 5 minutes) and error rate are as this gateway replica saw them; refreshed every 5 s.',
      ),
      form.element,
    );
  },
  async show() {
    clearInterval(timer);
    await renderModels();
    const section = $('#page-models');
    timer = setInterval(() => {
      if (section.hidden) return clearInterval(timer);
      refreshLive().catch((err) => say(err.message));
    }, MODELS_REFRESH_MS);
  },
};
