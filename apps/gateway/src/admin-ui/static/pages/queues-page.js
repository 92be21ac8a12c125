// Queues: per backend queue, the jobs waiting, in flight and delayed, how long the latest jobs
// waited for a worker, and the workers consuming it with their concurrency. Refreshed every few
// seconds while the page is shown.
import { api } from '../core/api-client.js';
import { chartBox, countLines } from '../core/charts.js';
import { $, cell, emptyRow, h, table } from '../core/dom.js';
import { say } from '../core/status-line.js';

export const QUEUES_REFRESH_MS = 3_000;
const HEADINGS = ['Queue', 'Waiting', 'In flight', 'Delayed', 'Wait p50', 'Wait p90', 'Wait p99', 'Workers', 'Concurrency'];
/** Polls kept for the depth chart: about two minutes. */
const HISTORY = 40;
let timer = null;
/** The latest polls, oldest first: `{ time, depth: Map<queue, waiting + in flight> }`. */
const polls = [];

function ms(value) {
  if (value === null || value === undefined) return null;
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
}

function queueRow(q) {
  const row = h('tr');
  cell(row, h('code', {}, q.queue));
  cell(row, q.waiting);
  cell(row, q.active);
  cell(row, q.delayed);
  cell(row, ms(q.wait_ms.p50));
  cell(row, ms(q.wait_ms.p90));
  cell(row, ms(q.wait_ms.p99));
  const workers = q.workers === null ? 'unknown' : q.workers.map((w) => `${w.name} (${w.concurrency ?? '?'})`).join(', ') || 'none';
  cell(row, workers);
  cell(row, q.total_concurrency);
  return row;
}

async function refresh() {
  const { data, time } = await api('/queue/status');
  $('#queues-table tbody').replaceChildren(...(data.length ? data.map(queueRow) : [emptyRow(HEADINGS.length, 'No queue open yet.')]));
  polls.push({ time: time.slice(11, 19), depth: new Map(data.map((q) => [q.queue, q.waiting + q.active])) });
  if (polls.length > HISTORY) polls.splice(0, polls.length - HISTORY);
  countLines(
    'queues-depth-chart',
    polls.map((poll) => poll.time),
    data.map((q) => ({ label: q.queue, values: polls.map((poll) => poll.depth.get(q.queue) ?? null) })),
  );
  $('#queues-updated').textContent = `Updated ${time.slice(11, 19)} UTC; refreshes every ${QUEUES_REFRESH_MS / 1000} s.`;
}

export const queuesPage = {
  path: 'queues',
  title: 'Queues',
  mount(section) {
    section.append(
      table('queues-table', HEADINGS),
      h('p', { id: 'queues-updated', class: 'muted' }),
      chartBox('queues-depth-chart', 'Depth: calls waiting and in flight, per queue, since this page opened'),
      h(
        'p',
        { class: 'muted' },
        'Waits are the time from a call entering the queue to a worker taking it, over the latest 200 calls. Concurrency is what the workers consuming the queue run at once.',
      ),
    );
  },
  async show() {
    clearInterval(timer);
    await refresh();
    const section = $('#page-queues');
    timer = setInterval(() => {
      if (section.hidden) return clearInterval(timer);
      refresh().catch((err) => say(err.message));
    }, QUEUES_REFRESH_MS);
  },
};
