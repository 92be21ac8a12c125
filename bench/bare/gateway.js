/**
 * The bench's baseline, not product code: the least a gateway in front of a BullMQ queue can do.
 * A `node:http` server that adds each request body as a job and waits for its result on ONE
 * shared `QueueEvents` listener (one `completed` and one `failed` handler and a map of waiters by
 * job id, not `job.waitUntilFinished`, which fails on jobs removed on completion before it
 * looks), then answers the worker's result as JSON. No auth, no limits, no
 * ledger, no metrics. Plain JavaScript so that it runs without ts-node (whose memory would skew
 * the peak RSS it is compared with).
 *
 * env: REDIS_URL, QUEUE_PREFIX, BARE_QUEUE (queue name), PORT.
 * stdout: one JSON line `{"url": "http://127.0.0.1:<port>"}` once it listens and its listener is ready.
 */
const { randomUUID } = require('node:crypto');
const http = require('node:http');
const { Queue, QueueEvents } = require('bullmq');
const IORedis = require('ioredis');

const redisUrl = process.env.REDIS_URL;
const prefix = process.env.QUEUE_PREFIX;
const name = process.env.BARE_QUEUE ?? 'bare-chat';
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true };
const TIMEOUT_MS = 30_000;

const queue = new Queue(name, { connection: new IORedis(redisUrl, { maxRetriesPerRequest: null }), prefix });
const events = new QueueEvents(name, { connection: new IORedis(redisUrl, { maxRetriesPerRequest: null }), prefix });

/** job id → { resolve, reject, timer } */
const waiters = new Map();
events.on('completed', ({ jobId, returnvalue }) => settle(jobId, (w) => w.resolve(returnvalue)));
events.on('failed', ({ jobId, failedReason }) => settle(jobId, (w) => w.reject(new Error(failedReason))));

function settle(jobId, how) {
  const waiter = waiters.get(jobId);
  if (!waiter) return;
  waiters.delete(jobId);
  clearTimeout(waiter.timer);
  how(waiter);
}

/** Registers the waiter before the job exists, so its completion cannot be missed. */
function waitFor(jobId) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => settle(jobId, (w) => w.reject(new Error(`job ${jobId} not finished within ${TIMEOUT_MS} ms`))), TIMEOUT_MS);
    waiters.set(jobId, { resolve, reject, timer });
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (part) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end('{"status":"ok"}');
  }
  const body = JSON.parse(await readBody(req));
  const jobId = randomUUID();
  const finished = waitFor(jobId);
  await queue.add('chat', { body }, { ...JOB_OPTIONS, jobId });
  // The completed event carries the worker's result as the JSON text BullMQ stored.
  const result = await finished;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(typeof result === 'string' ? result : JSON.stringify(result));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err?.message ?? err) } }));
  });
});

async function main() {
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close();
  await Promise.allSettled([events.close(), queue.close()]);
  process.exit(0); // exit normally, so that --cpu-prof writes its profile
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

main().catch((err) => {
  process.stderr.write(`bare gateway: ${err?.stack ?? String(err)}\n`);
  process.exit(1);
});
