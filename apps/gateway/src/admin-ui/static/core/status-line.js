// The status line under the bar: the outcome of the last action, read out by screen readers.
import { $ } from './dom.js';

export function say(message) {
  $('#status').textContent = message;
}
