'use strict';
// Switchyard admin UI: plain DOM, no framework, no network access beyond this gateway.
// The session token lives in sessionStorage and goes in the Authorization header; the master
// key itself is sent once, to /ui/login, and never stored.

const SESSION = 'switchyard.session';
const state = { models: [], storeModelInDb: false, keysPage: 1 };

const $ = (selector) => document.querySelector(selector);

function session() {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION) || 'null');
    return value && Date.parse(value.expires_at) > Date.now() ? value : null;
  } catch {
    return null;
  }
}

function say(message) {
  $('#status').textContent = message;
}

/** Calls the gateway; a 401 ends the session. Resolves with the JSON body or throws its error message. */
async function api(path, options = {}) {
  const s = session();
  const headers = { accept: 'application/json' };
  if (s) headers.authorization = `Bearer ${s.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: options.method || (options.body ? 'POST' : 'GET'), headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/ui/login') {
    sessionStorage.removeItem(SESSION);
    show('login');
    throw new Error('Your session has ended. Log in again.');
  }
  if (!res.ok) throw new Error((body.error && body.error.message) || `HTTP ${res.status}`);
  return body;
}

function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content === null || content === undefined || content === '' ? '—' : String(content);
  row.append(td);
  return td;
}

/** A cell holding buttons, in a flex box (a flex td would break the table's borders). */
function actionsCell(row) {
  const td = document.createElement('td');
  const box = document.createElement('div');
  box.className = 'actions';
  td.append(box);
  row.append(td);
  return box;
}

function button(label, onClick, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (className) b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

function money(value) {
  return value === null || value === undefined ? null : Number(value).toFixed(4);
}

function keyStatus(key) {
  const expired = key.expires && Date.parse(key.expires) <= Date.now();
  const label = key.blocked ? 'blocked' : expired ? 'expired' : 'active';
  const span = document.createElement('span');
  span.className = `badge ${label}`;
  span.textContent = label;
  return span;
}

// ---- pages ----

const PAGES = ['login', 'keys', 'models', 'usage'];

function show(page) {
  for (const p of PAGES) $(`#page-${p}`).hidden = p !== page;
  $('#nav').hidden = page === 'login';
  for (const a of document.querySelectorAll('#nav a[data-page]')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page === 'login' ? 'Log in' : $(`#${page}-title`).textContent} · Switchyard admin`;
}

async function route() {
  say('');
  if (!session()) {
    show('login');
    $('#login-password').focus();
    return;
  }
  const page = (location.hash.replace(/^#\//, '') || 'keys').split('?')[0];
  const name = PAGES.includes(page) && page !== 'login' ? page : 'keys';
  show(name);
  try {
    await loadModels();
    if (name === 'keys') await renderKeys();
    if (name === 'models') renderModels();
    if (name === 'usage') await renderUsage();
  } catch (err) {
    say(err.message);
  }
}

async function loadModels() {
  const { data } = await api('/model/info');
  state.models = data;
  const names = [...new Set(data.map((m) => m.model_name))];
  const box = $('#key-models');
  const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren(
    ...names.map((name, i) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.name = 'models';
      input.value = name;
      input.id = `model-choice-${i}`;
      input.checked = checked.has(name);
      label.append(input, name);
      return label;
    }),
  );
}

// ---- keys ----

async function renderKeys() {
  const size = 25;
  const list = await api(`/key/list?return_full_object=true&size=${size}&page=${state.keysPage}`);
  if (state.keysPage > 1 && list.keys.length === 0) {
    state.keysPage = Math.max(1, list.total_pages);
    return renderKeys();
  }
  const body = $('#keys-table tbody');
  body.replaceChildren(
    ...list.keys.map((key) => {
      const row = document.createElement('tr');
      row.dataset.token = key.token;
      cell(row, key.key_alias);
      cell(row, key.key_name);
      cell(row, key.models.length ? key.models.join(', ') : 'all models');
      cell(row, money(key.spend));
      cell(row, money(key.max_budget));
      cell(row, key.expires ? new Date(key.expires).toLocaleString() : 'never');
      cell(row, keyStatus(key));
      const actions = actionsCell(row);
      const label = key.key_alias || key.key_name;
      actions.append(
        button(key.blocked ? 'Unblock' : 'Block', () => keyAction(key.blocked ? 'unblock' : 'block', key, `${label} ${key.blocked ? 'unblocked' : 'blocked'}`), 'secondary'),
        button('Regenerate', () => regenerate(key, label), 'secondary'),
        button('Delete', () => deleteKey(key, label), 'danger'),
      );
      for (const b of actions.querySelectorAll('button')) b.setAttribute('aria-label', `${b.textContent} ${label}`);
      return row;
    }),
  );
  if (list.keys.length === 0) {
    const row = document.createElement('tr');
    cell(row, 'No keys yet.').colSpan = 8;
    body.append(row);
  }
  $('#keys-page').textContent = `Page ${list.current_page} of ${Math.max(1, list.total_pages)} (${list.total_count} keys)`;
  $('#keys-prev').disabled = state.keysPage <= 1;
  $('#keys-next').disabled = state.keysPage >= list.total_pages;
}

async function keyAction(action, key, done) {
  try {
    await api(`/key/${action}`, { body: { key: key.token } });
    say(done);
    await renderKeys();
  } catch (err) {
    say(err.message);
  }
}

async function deleteKey(key, label) {
  if (!confirm(`Delete key ${label}? Applications using it stop working at once.`)) return;
  try {
    await api('/key/delete', { body: { keys: [key.token] } });
    say(`${label} deleted`);
    await renderKeys();
  } catch (err) {
    say(err.message);
  }
}

async function regenerate(key, label) {
  if (!confirm(`Regenerate key ${label}? The current secret stops working at once.`)) return;
  try {
    const created = await api('/key/regenerate', { body: { key: key.token } });
    showNewKey(created.key);
    say(`${label} regenerated`);
    await renderKeys();
  } catch (err) {
    say(err.message);
  }
}

function showNewKey(secret) {
  $('#new-key-value').value = secret;
  $('#copy-status').textContent = '';
  $('#new-key').hidden = false;
  $('#copy-key').focus();
}

$('#copy-key').addEventListener('click', async () => {
  const input = $('#new-key-value');
  try {
    await navigator.clipboard.writeText(input.value);
    $('#copy-status').textContent = 'Copied to the clipboard.';
  } catch {
    input.select();
    $('#copy-status').textContent = 'Copy was blocked by the browser: the key is selected, press Ctrl+C.';
  }
});

$('#new-key-done').addEventListener('click', () => {
  $('#new-key-value').value = '';
  $('#new-key').hidden = true;
  $('#key-alias').focus();
});

$('#key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    key_alias: form.key_alias.value.trim(),
    models: [...form.querySelectorAll('input[name="models"]:checked')].map((i) => i.value),
  };
  if (form.duration.value.trim()) body.duration = form.duration.value.trim();
  if (form.max_budget.value !== '') body.max_budget = Number(form.max_budget.value);
  $('#key-form-error').textContent = '';
  try {
    const created = await api('/key/generate', { body });
    form.reset();
    for (const input of form.querySelectorAll('input[name="models"]')) input.checked = false;
    showNewKey(created.key);
    say(`Key ${created.key_alias} created`);
    state.keysPage = 1;
    await renderKeys();
  } catch (err) {
    $('#key-form-error').textContent = err.message;
  }
});

$('#keys-prev').addEventListener('click', () => {
  state.keysPage = Math.max(1, state.keysPage - 1);
  renderKeys().catch((err) => say(err.message));
});
$('#keys-next').addEventListener('click', () => {
  state.keysPage += 1;
  renderKeys().catch((err) => say(err.message));
});

// ---- models ----

function renderModels() {
  const body = $('#models-table tbody');
  body.replaceChildren(
    ...state.models.map((m) => {
      const row = document.createElement('tr');
      cell(row, m.model_name);
      cell(row, m.model_info.provider);
      cell(row, m.model_info.upstream_model);
      cell(row, m.litellm_params.api_base);
      cell(row, m.model_info.db_model ? 'database' : 'config.yaml');
      cell(row, m.model_info.id);
      const actions = actionsCell(row);
      if (m.model_info.db_model && state.storeModelInDb) {
        const b = button('Delete', () => deleteModel(m), 'danger');
        b.setAttribute('aria-label', `Delete ${m.model_name} (${m.model_info.id})`);
        actions.append(b);
      }
      return row;
    }),
  );
  $('#models-store-off').hidden = state.storeModelInDb;
  $('#add-model').hidden = !state.storeModelInDb;
}

async function deleteModel(m) {
  if (!confirm(`Delete model ${m.model_name} (${m.model_info.id})? Calls to it stop being served.`)) return;
  try {
    await api('/model/delete', { body: { id: m.model_info.id } });
    say(`Model ${m.model_name} deleted`);
    await loadModels();
    renderModels();
  } catch (err) {
    say(err.message);
  }
}

$('#model-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const params = { model: `${form.provider.value}/${form.upstream.value.trim()}` };
  if (form.api_base.value.trim()) params.api_base = form.api_base.value.trim();
  if (form.api_key.value) params.api_key = form.api_key.value;
  $('#model-form-error').textContent = '';
  try {
    await api('/model/new', { body: { model_name: form.model_name.value.trim(), litellm_params: params } });
    form.reset();
    say(`Model ${params.model} added`);
    await loadModels();
    renderModels();
  } catch (err) {
    $('#model-form-error').textContent = err.message;
  }
});

// ---- usage ----

async function renderUsage() {
  const [total, byKey, byModel, list] = await Promise.all([
    api('/global/spend'),
    api('/global/spend/keys?limit=100'),
    api('/global/spend/models?limit=100'),
    api('/key/list?return_full_object=true&size=100'),
  ]);
  $('#usage-total').textContent = `${total.requests} requests, $${money(total.spend)} spent in all.`;
  const keys = new Map(list.keys.map((k) => [k.token, k]));
  $('#usage-keys-table tbody').replaceChildren(
    ...byKey.map((usage) => {
      const key = keys.get(usage.api_key);
      const row = document.createElement('tr');
      cell(row, usage.api_key === null ? 'master key' : usage.key_alias || (key ? '' : 'deleted key'));
      cell(row, usage.key_name);
      cell(row, usage.requests);
      cell(row, usage.total_tokens);
      cell(row, money(usage.total_spend));
      cell(row, key ? money(key.max_budget) : null);
      cell(row, key && key.max_budget !== null ? money(Math.max(0, key.max_budget - key.spend)) : null);
      return row;
    }),
  );
  $('#usage-models-table tbody').replaceChildren(
    ...byModel.map((usage) => {
      const row = document.createElement('tr');
      cell(row, usage.model);
      cell(row, usage.requests);
      cell(row, usage.total_tokens);
      cell(row, money(usage.total_spend));
      return row;
    }),
  );
}

// ---- session ----

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  $('#login-error').textContent = '';
  try {
    const created = await api('/ui/login', { body: { username: form.username.value, password: form.password.value } });
    form.password.value = '';
    sessionStorage.setItem(SESSION, JSON.stringify(created));
    state.storeModelInDb = created.store_model_in_db;
    if (!location.hash) location.hash = '#/keys';
    await route();
    $('#main').focus();
  } catch (err) {
    $('#login-error').textContent = err.message;
  }
});

$('#logout').addEventListener('click', async () => {
  // Ends the session on the server, on every gateway: a copy of the token is of no use afterwards.
  if (session()) await api('/ui/logout', { body: {} }).catch((err) => say(`Logged out in this tab; the server could not end the session: ${err.message}`));
  sessionStorage.removeItem(SESSION);
  location.hash = '';
  route();
});

window.addEventListener('hashchange', route);
state.storeModelInDb = Boolean((session() || {}).store_model_in_db);
route();
