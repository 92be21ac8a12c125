// The admin UI session: the token /ui/login answered, kept in this tab's sessionStorage. The master
// key itself is sent once, to /ui/login, and never stored.

const STORAGE_KEY = 'switchyard.session';
const endListeners = [];

/** The session of this tab, or null when there is none or it has expired. */
export function currentSession() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    return value && Date.parse(value.expires_at) > Date.now() ? value : null;
  } catch {
    return null;
  }
}

/** Keeps the answer of /ui/login: `token`, `expires_at`, `store_model_in_db`. */
export function saveSession(login) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(login));
}

/** Whether models can be added and deleted here (the gateway's STORE_MODEL_IN_DB). */
export function modelsCanChange() {
  return Boolean(currentSession()?.store_model_in_db);
}

/** Forgets the session in this tab (the server's side is POST /ui/logout), and tells the listeners. */
export function endSession() {
  sessionStorage.removeItem(STORAGE_KEY);
  for (const listener of endListeners) listener();
}

/** Runs `listener` whenever the session ends: logged out, or refused by the gateway. */
export function onSessionEnd(listener) {
  endListeners.push(listener);
}
