/**
 * The bench's baseline, not product code: a BullMQ `Worker` that sends each job's body to the
 * upstream with undici (one keep-alive pool) and returns the parsed JSON answer as the job's
 * result. No retries, deadlines, metrics or streaming. See gateway.js.
 *
 * env: REDIS_URL, QUEUE_PREFIX, BARE_QUEUE, UPSTREAM_URL (the chat completions URL),
 * UPSTREAM_KEY, WORKER_CONCURRENCY (default 32, as worker-openai's).
 * stdout: one JSON line `{"ready": true}` once the worker is connected.
 */
const { Worker } = require('bullmq');
const IORedis = require('ioredis');
const { Pool } = require('undici');

const upstream = new URL(process.env.UPSTREAM_URL);
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 32);
const pool = new Pool(upstream.origin, { connections: concurrency, pipelining: 1 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.UPSTREAM_KEY ?? ''}` };

async function call(job) {
  const res = await pool.request({ path: upstream.pathname, method: 'POST', headers, body: JSON.stringify(job.data.body) });
  const answer = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`upstream answered ${res.statusCode}: ${JSON.stringify(answer).slice(0, 200)}`);
  return answer;
}

const worker = new Worker(process.env.BARE_QUEUE ?? 'bare-chat', call, {
  connection: new IORedis(process.env.REDIS_URL, { maxRetriesPerRequest: null }),
  prefix: process.env.QUEUE_PREFIX,
  concurrency,
});
worker.on('error', (err) => process.stderr.write(`bare worker: ${err?.message ?? String(err)}\n`));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([worker.close(), pool.close()]);
  process.exit(0); // exit normally, so that --cpu-prof writes its profile
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

worker
  .waitUntilReady()
  .then(() => process.stdout.write(`${JSON.stringify({ ready: true })}\n`))
  .catch((err) => {
    process.stderr.write(`bare worker: ${err?.stack ?? String(err)}\n`);
    process.exit(1);
  });
