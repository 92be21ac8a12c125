// The login form (user `admin`, the master key as password) and the bar's "Log out" button.
import { api } from './api-client.js';
import { $, h, labelWithNote } from './dom.js';
import { currentSession, endSession, saveSession } from './session.js';
import { say } from './status-line.js';

/** The login section; `onLoggedIn` runs once a session is saved. */
export function loginSection(onLoggedIn) {
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const form = h(
    'form',
    { id: 'login-form', class: 'card narrow' },
    h('label', { for: 'login-username' }, 'Username'),
    h('input', { id: 'login-username', name: 'username', autocomplete: 'username', value: 'admin', required: true }),
    labelWithNote('login-password', 'Password', '(the master key)'),
    h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit' }, 'Log in'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const login = await api('/ui/login', { body: { username: form.username.value, password: form.password.value } });
      form.password.value = '';
      saveSession(login);
      await onLoggedIn();
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return h('section', { id: 'page-login', hidden: true, 'aria-labelledby': 'login-title' }, h('h1', { id: 'login-title' }, 'Log in'), form);
}

/** Wires "Log out": it ends the session on the server, on every gateway, so a copy of the token is of no use afterwards. */
export function wireLogout() {
  $('#logout').addEventListener('click', async () => {
    say('');
    if (currentSession()) {
      await api('/ui/logout', { body: {} }).catch((err) => say(`Logged out in this tab; the server could not end the session: ${err.message}`));
    }
    history.replaceState(null, '', location.pathname);
    endSession();
  });
}
