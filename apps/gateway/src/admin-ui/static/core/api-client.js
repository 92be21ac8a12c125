// Calls to this gateway's API with the session token. Nothing here talks to another origin.
import { currentSession, endSession } from './session.js';

/**
 * Calls the gateway; resolves with the JSON body, or throws an Error with the gateway's message.
 * A 401 (other than a wrong login) means the session is over: it ends here too.
 */
export async function api(path, { method, body } = {}) {
  const session = currentSession();
  const headers = { accept: 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: method || (body === undefined ? 'GET' : 'POST'),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/ui/login') {
    endSession();
    throw new Error('Your session has ended. Log in again.');
  }
  if (!res.ok) throw new Error(answer.error?.message || `HTTP ${res.status}`);
  return answer;
}
