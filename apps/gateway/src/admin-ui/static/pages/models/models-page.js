// Models: every deployment the gateway serves, config.yaml and database; add and delete database
// models when the gateway stores models (STORE_MODEL_IN_DB=true).
import { api } from '../../core/api-client.js';
import { $, actionsCell, button, cell, h, table } from '../../core/dom.js';
import { modelsCanChange } from '../../core/session.js';
import { say } from '../../core/status-line.js';
import { modelForm } from './model-form.js';

const HEADINGS = ['Model name', 'Mode', 'Provider', 'Upstream model', 'Access groups', 'API base', 'Source', 'ID', 'Actions'];
let form;
/** The gateway's provider list, asked for once. */
let providers = null;

function modelRow(m, canChange) {
  const row = h('tr');
  cell(row, m.model_name);
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

async function renderModels() {
  const canChange = modelsCanChange();
  const [{ data }] = await Promise.all([api('/model/info'), canChange && !providers ? loadProviders() : null]);
  $('#models-table tbody').replaceChildren(...data.map((m) => modelRow(m, canChange)));
  $('#models-store-off').hidden = canChange;
  $('#add-model').hidden = !canChange;
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
      form.element,
    );
  },
  show: renderModels,
};
