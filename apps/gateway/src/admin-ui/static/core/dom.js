// Small DOM builders. Text always goes in as text (never as HTML), so no value can become markup.

export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * `h('input', { id: 'x', required: true, onclick: fn }, ...children)`: an element with attributes
 * (true = present, false/null/undefined = absent), `on<event>` listeners, and children (nodes or text).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A label with a muted note after it: `Expires after (e.g. 30d)`. */
export function labelWithNote(forId, text, note) {
  return h('label', { for: forId }, text, ' ', h('span', { class: 'muted' }, note));
}

/** A table with a header row and an empty body. */
export function table(id, headings) {
  return h(
    'table',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((text) => h('th', { scope: 'col' }, text)),
      ),
    ),
    h('tbody'),
  );
}

/** Appends a cell to `row`: a node, or text where empty means a dash. */
export function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content === null || content === undefined || content === '' ? '—' : String(content);
  row.append(td);
  return td;
}

/** Appends a cell holding buttons, in a flex box (a flex td would break the table's borders); returns the box. */
export function actionsCell(row) {
  const box = h('div', { class: 'actions' });
  row.append(h('td', {}, box));
  return box;
}

/** A row with one cell across the whole table, for "nothing here yet". */
export function emptyRow(columns, text) {
  const row = h('tr');
  cell(row, text).colSpan = columns;
  return row;
}

export function button(label, onClick, className) {
  return h('button', { type: 'button', class: className, onclick: onClick }, label);
}

/**
 * USD, or null (a dash) when there is no amount. Cents for a dollar and more, four decimals down
 * to a cent, then two significant digits (`0.0000021`), and `<0.000001` below that: a small call
 * never shows as zero.
 */
export function money(value) {
  if (value === null || value === undefined) return null;
  const amount = Number(value);
  const size = Math.abs(amount);
  if (size === 0 || size >= 1) return amount.toFixed(2);
  if (size >= 0.01) return amount.toFixed(4);
  if (size < 0.000001) return amount < 0 ? '>-0.000001' : '<0.000001';
  // toPrecision keeps two significant digits; Number() drops trailing zeros, and prints without an exponent down to 1e-6.
  return String(Number(amount.toPrecision(2)));
}
