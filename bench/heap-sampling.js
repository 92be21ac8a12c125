/**
 * Preloaded into each app by `npm run bench -- --heap-prof` (`node -r bench/heap-sampling.js`):
 * samples every allocation from start to exit, garbage included, and writes the V8 heap profile
 * (`.heapprofile`) to $BENCH_HEAP_PROFILE when the process exits. Node's own `--heap-prof` keeps
 * only the samples of objects still alive at exit, so the per-call garbage that garbage collection
 * spends its time on would not appear in it. Plain JavaScript: it runs before ts-node or anything else.
 */
const { writeFileSync } = require('node:fs');
const { Session } = require('node:inspector');

const file = process.env.BENCH_HEAP_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  // A session in the process's own thread answers synchronously, so the profile is written from the exit handler.
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 32 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.once('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) console.error(`heap profile not written: ${err.message}`);
      else writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
