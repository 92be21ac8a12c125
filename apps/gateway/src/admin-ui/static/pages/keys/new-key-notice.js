// "Save your key": the plaintext of a new or regenerated key, shown once, with a Copy button.
import { h } from '../../core/dom.js';

/** The notice (hidden until `show(secret)`); "Done" hides it, forgets the secret and runs `onDone`. */
export function newKeyNotice(onDone) {
  const value = h('input', { id: 'new-key-value', readonly: true, spellcheck: 'false' });
  const copyStatus = h('p', { id: 'copy-status', role: 'status', 'aria-live': 'polite', class: 'muted' });
  const copy = h('button', { type: 'button', id: 'copy-key' }, 'Copy');
  const done = h('button', { type: 'button', id: 'new-key-done', class: 'secondary' }, 'Done');
  const element = h(
    'div',
    { id: 'new-key', class: 'card notice', hidden: true, role: 'region', 'aria-labelledby': 'new-key-title' },
    h('h2', { id: 'new-key-title' }, 'Save your key'),
    h(
      'p',
      { class: 'warning' },
      h('strong', {}, 'This key will not be shown again.'),
      " Copy it now and keep it somewhere safe, such as your application's .env file. If you lose it, regenerate or create a new key.",
    ),
    h('label', { for: 'new-key-value' }, 'Key'),
    h('div', { class: 'row tight' }, value, copy),
    copyStatus,
    done,
  );

  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value.value);
      copyStatus.textContent = 'Copied to the clipboard.';
    } catch {
      value.select();
      copyStatus.textContent = 'Copy was blocked by the browser: the key is selected, press Ctrl+C.';
    }
  });
  done.addEventListener('click', () => {
    value.value = '';
    element.hidden = true;
    onDone();
  });

  function show(secret) {
    value.value = secret;
    copyStatus.textContent = '';
    element.hidden = false;
    copy.focus();
  }
  return { element, show };
}
