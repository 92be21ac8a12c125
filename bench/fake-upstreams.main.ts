/**
 * The fake OpenAI and Ollama upstreams in a process of their own, so that neither the load
 * generator nor the gateway shares their event loop. Started by run-bench.ts with
 * `node -r ts-node/register/transpile-only -r tsconfig-paths/register`.
 *
 * stdout: one JSON line `{"openai": <base incl. /v1>, "ollama": <origin>}` once both listen.
 * IPC (when started with an IPC channel): `"take"` answers the request counters of both fakes
 * and resets them, which also empties their `received` lists so memory stays bounded.
 * `{"delays": {"delayMs": n, "chunkDelayMs": n}}` sets the pause before every answer and between the
 * pieces of a streamed one, kept across resets, and answers `"ok"`.
 * FAKE_CHUNK_DELAY_MS: the first pause between the pieces of a streamed answer (default 0).
 */
import { FakeOllamaServer, FakeOpenAIServer, type FakeUpstream } from '@test/support';

const openai = new FakeOpenAIServer({ models: ['gpt-4o-mini'] });
const ollama = new FakeOllamaServer({ models: ['llama3.2'] });
const delays = { delayMs: 0, chunkDelayMs: Number(process.env.FAKE_CHUNK_DELAY_MS ?? 0) };
const applyDelays = () => {
  for (const fake of [openai, ollama]) Object.assign(fake, delays);
};
applyDelays();

function take(fake: FakeUpstream) {
  // No maxInFlight: this fake answers each request within one turn of its event loop, so it reads 1.
  const counters = { calls: fake.total, connections: fake.connections };
  fake.reset();
  Object.assign(fake, delays);
  return counters;
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([openai.stop(), ollama.stop()]);
  process.exit(0);
}

async function main(): Promise<void> {
  await Promise.all([openai.start(), ollama.start()]);
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  if (process.send) {
    process.on('message', (message) => {
      if (message === 'take') process.send?.({ openai: take(openai), ollama: take(ollama) });
      else if (typeof message === 'object' && message !== null && 'delays' in message) {
        Object.assign(delays, (message as { delays: Partial<typeof delays> }).delays);
        applyDelays();
        process.send?.('ok');
      }
    });
    // The parent went away (even by SIGKILL): do not outlive it.
    process.on('disconnect', () => void stop());
  }
  process.stdout.write(`${JSON.stringify({ openai: openai.url, ollama: ollama.origin })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-upstreams: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
