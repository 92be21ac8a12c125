// "Create New Key": name, models (none checked = all), expiry, budget and its reset period, tags.
import { api } from '../../core/api-client.js';
import { h, labelWithNote } from '../../core/dom.js';

/**
 * The form, and `setModelChoices(names)` to refresh its model checkboxes (checked ones stay checked).
 * `onCreated(answer)` gets /key/generate's answer, the plaintext key included.
 */
export function keyForm(onCreated) {
  const choices = h('div', { id: 'key-models', class: 'checks' });
  const error = h('p', { id: 'key-form-error', class: 'error', role: 'alert' });
  const form = h(
    'form',
    { id: 'key-form' },
    h('label', { for: 'key-alias' }, 'Key name'),
    h('input', { id: 'key-alias', name: 'key_alias', placeholder: 'my-app', required: true, maxlength: 255 }),
    h('fieldset', {}, h('legend', {}, 'Models'), h('p', { class: 'muted' }, 'Leave all unchecked to allow every model.'), choices),
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        {},
        labelWithNote('key-duration', 'Expires after', '(e.g. 30d, 12h; empty = never)'),
        h('input', { id: 'key-duration', name: 'duration', placeholder: '30d', pattern: '\\d+(s|m|h|d|w|mo)' }),
      ),
      h(
        'div',
        {},
        labelWithNote('key-budget', 'Max budget in USD', '(empty = none)'),
        h('input', { id: 'key-budget', name: 'max_budget', type: 'number', min: 0, step: 0.01 }),
      ),
      h(
        'div',
        {},
        labelWithNote('key-budget-duration', 'Budget resets every', '(e.g. 1d, 1mo; empty = never)'),
        h('input', { id: 'key-budget-duration', name: 'budget_duration', placeholder: '1mo', pattern: '\\d+(s|m|h|d|w|mo)' }),
      ),
    ),
    labelWithNote('key-tags', 'Tags', '(comma separated; added to every call of the key in the spend log)'),
    h('input', { id: 'key-tags', name: 'tags', placeholder: 'team-search, prod' }),
    h('button', { type: 'submit' }, 'Create Key'),
    error,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { key_alias: form.key_alias.value.trim(), models: [...choices.querySelectorAll('input:checked')].map((input) => input.value) };
    if (form.duration.value.trim()) body.duration = form.duration.value.trim();
    if (form.max_budget.value !== '') body.max_budget = Number(form.max_budget.value);
    if (form.budget_duration.value.trim()) body.budget_duration = form.budget_duration.value.trim();
    const tags = form.tags.value
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
    if (tags.length) body.tags = tags;
    error.textContent = '';
    try {
      const created = await api('/key/generate', { body });
      form.reset();
      for (const input of choices.querySelectorAll('input')) input.checked = false;
      await onCreated(created);
    } catch (err) {
      error.textContent = err.message;
    }
  });

  function setModelChoices(names) {
    const checked = new Set([...choices.querySelectorAll('input:checked')].map((input) => input.value));
    choices.replaceChildren(
      ...names.map((name, i) =>
        h('label', {}, h('input', { type: 'checkbox', name: 'models', value: name, id: `model-choice-${i}`, checked: checked.has(name) }), name),
      ),
    );
  }

  const element = h('details', { id: 'create-key', class: 'card', open: true }, h('summary', {}, 'Create New Key'), form);
  return { element, setModelChoices };
}
