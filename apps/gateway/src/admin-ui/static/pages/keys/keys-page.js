// Virtual Keys: create a key, list keys a page at a time, block, regenerate and delete them.
import { api } from '../../core/api-client.js';
import { $, actionsCell, button, cell, emptyRow, h, money, table } from '../../core/dom.js';
import { say } from '../../core/status-line.js';
import { keyForm } from './key-form.js';
import { newKeyNotice } from './new-key-notice.js';

const PAGE_SIZE = 25;
const HEADINGS = ['Name', 'Key', 'Models', 'Spend (USD)', 'Budget (USD)', 'Expires', 'Status', 'Actions'];
let listPage = 1;
let form;
let notice;

function statusBadge(key) {
  const expired = key.expires && Date.parse(key.expires) <= Date.now();
  const label = key.blocked ? 'blocked' : expired ? 'expired' : 'active';
  return h('span', { class: `badge ${label}` }, label);
}

/** Runs a row's action, says how it went and shows the list again. */
async function act(run, done) {
  try {
    await run();
    say(done);
    await renderList();
  } catch (err) {
    say(err.message);
  }
}

function keyRow(key) {
  const row = h('tr', { 'data-token': key.token });
  const label = key.key_alias || key.key_name;
  cell(row, key.key_alias);
  cell(row, key.key_name);
  cell(row, key.models.length ? key.models.join(', ') : 'all models');
  cell(row, money(key.spend));
  cell(row, money(key.max_budget));
  cell(row, key.expires ? new Date(key.expires).toLocaleString() : 'never');
  cell(row, statusBadge(key));
  const blockAction = key.blocked ? 'unblock' : 'block';
  actionsCell(row).append(
    button(
      key.blocked ? 'Unblock' : 'Block',
      () => act(() => api(`/key/${blockAction}`, { body: { key: key.token } }), `${label} ${blockAction}ed`),
      'secondary',
    ),
    button(
      'Regenerate',
      () => {
        if (!confirm(`Regenerate key ${label}? The current secret stops working at once.`)) return;
        return act(async () => notice.show((await api('/key/regenerate', { body: { key: key.token } })).key), `${label} regenerated`);
      },
      'secondary',
    ),
    button(
      'Delete',
      () => {
        if (!confirm(`Delete key ${label}? Applications using it stop working at once.`)) return;
        return act(() => api('/key/delete', { body: { keys: [key.token] } }), `${label} deleted`);
      },
      'danger',
    ),
  );
  for (const b of row.querySelectorAll('.actions button')) b.setAttribute('aria-label', `${b.textContent} ${label}`);
  return row;
}

async function renderList() {
  const list = await api(`/key/list?return_full_object=true&size=${PAGE_SIZE}&page=${listPage}`);
  if (listPage > 1 && list.keys.length === 0) {
    // The last keys of this page were deleted: show the last page that has some.
    listPage = Math.max(1, list.total_pages);
    return renderList();
  }
  const body = $('#keys-table tbody');
  body.replaceChildren(...list.keys.map(keyRow));
  if (list.keys.length === 0) body.append(emptyRow(HEADINGS.length, 'No keys yet.'));
  $('#keys-page').textContent = `Page ${list.current_page} of ${Math.max(1, list.total_pages)} (${list.total_count} keys)`;
  $('#keys-prev').disabled = listPage <= 1;
  $('#keys-next').disabled = listPage >= list.total_pages;
}

function turnTo(page) {
  listPage = Math.max(1, page);
  renderList().catch((err) => say(err.message));
}

export const keysPage = {
  path: 'keys',
  title: 'Virtual Keys',
  mount(section) {
    notice = newKeyNotice(() => $('#key-alias').focus());
    form = keyForm(async (created) => {
      notice.show(created.key);
      say(`Key ${created.key_alias} created`);
      listPage = 1;
      await renderList();
    });
    section.append(
      form.element,
      notice.element,
      h('h2', {}, 'Keys'),
      table('keys-table', HEADINGS),
      h(
        'div',
        { class: 'pager' },
        h('button', { type: 'button', id: 'keys-prev', class: 'secondary', onclick: () => turnTo(listPage - 1) }, 'Previous'),
        h('span', { id: 'keys-page' }),
        h('button', { type: 'button', id: 'keys-next', class: 'secondary', onclick: () => turnTo(listPage + 1) }, 'Next'),
      ),
    );
  },
  async show() {
    const { data } = await api('/model/info');
    form.setModelChoices([...new Set(data.map((m) => m.model_name))]);
    await renderList();
  },
};
