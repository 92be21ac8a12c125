// "Add Model": a database model (STORE_MODEL_IN_DB=true). The provider choices, and what each
// needs as API base, come from the gateway (GET /provider/list), not from this page.
import { api } from '../../core/api-client.js';
import { h, labelWithNote } from '../../core/dom.js';

/** The form (hidden in a closed <details>), and `setProviders(list)` to fill its provider choices. */
export function modelForm(onAdded) {
  const provider = h('select', { id: 'model-provider', name: 'provider', required: true });
  const apiBaseNote = h('span', { class: 'muted' });
  const apiBase = h('input', { id: 'model-api-base', name: 'api_base', type: 'url', 'aria-describedby': 'model-api-base-hint' });
  const apiBaseHint = h('p', { id: 'model-api-base-hint', class: 'muted hint' });
  const error = h('p', { id: 'model-form-error', class: 'error', role: 'alert' });
  let providers = [];

  const form = h(
    'form',
    { id: 'model-form' },
    labelWithNote('model-name', 'Model name', '(what clients send as "model")'),
    h('input', { id: 'model-name', name: 'model_name', placeholder: 'ollama/llama3.2', required: true }),
    h(
      'div',
      { class: 'row' },
      h('div', {}, h('label', { for: 'model-provider' }, 'Provider'), provider),
      h(
        'div',
        {},
        h('label', { for: 'model-upstream' }, 'Upstream model'),
        h('input', { id: 'model-upstream', name: 'upstream', placeholder: 'llama3.2', required: true }),
      ),
    ),
    h('label', { for: 'model-api-base' }, 'API base ', apiBaseNote),
    apiBase,
    apiBaseHint,
    labelWithNote('model-api-key', 'API key', '(stored encrypted; or os.environ/NAME)'),
    h('input', { id: 'model-api-key', name: 'api_key', type: 'password', autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Add Model'),
    error,
  );

  /** Says what the chosen provider needs as API base. */
  function describeApiBase() {
    const chosen = providers.find((p) => p.name === provider.value);
    apiBase.required = Boolean(chosen?.needs_api_base);
    apiBaseNote.textContent = chosen?.needs_api_base ? '(required)' : '(empty = provider default)';
    apiBase.placeholder = chosen?.default_api_base ?? '';
    apiBaseHint.textContent = chosen?.api_base_hint ?? '';
  }
  provider.addEventListener('change', describeApiBase);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const params = { model: `${provider.value}/${form.upstream.value.trim()}` };
    if (apiBase.value.trim()) params.api_base = apiBase.value.trim();
    if (form.api_key.value) params.api_key = form.api_key.value;
    error.textContent = '';
    try {
      await api('/model/new', { body: { model_name: form.model_name.value.trim(), litellm_params: params } });
      form.reset();
      describeApiBase();
      await onAdded(params.model);
    } catch (err) {
      error.textContent = err.message;
    }
  });

  function setProviders(list) {
    const chosen = provider.value;
    providers = list;
    provider.replaceChildren(...list.map((p) => h('option', { value: p.name }, `${p.label} (${p.name}/)`)));
    if (list.some((p) => p.name === chosen)) provider.value = chosen;
    describeApiBase();
  }

  const element = h('details', { id: 'add-model', class: 'card', hidden: true }, h('summary', {}, 'Add Model'), form);
  return { element, setProviders };
}
