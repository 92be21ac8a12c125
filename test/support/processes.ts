/**
 * Child processes for the bench: start, wait until healthy, read peak memory, stop. Nothing
 * here knows about Switchyard beyond "a node script with an environment".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const ECHO_LINES = 20;
const TAIL_LINES = 40;
const STOP_GRACE_MS = 10_000;

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** Everything it printed so far (kept only with `quiet`, up to a few MB). */
  output(): string;
  /** The first stdout line that parses as JSON. */
  firstJsonLine(): Promise<unknown>;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  nodeArgs?: string[];
  env: Record<string, string>;
  cwd: string;
  /** An IPC channel (for process.send in the child). */
  ipc?: boolean;
  /** Keep the child's output to `tail()` instead of echoing it (tests). */
  quiet?: boolean;
}

/**
 * `node [nodeArgs] script` with exactly `env` (no inherited variables), so that nothing in the
 * caller's shell or a `.env` file changes what is measured. The child is `node` itself, not a
 * shell, so its pid is the one whose memory we read.
 */
export function spawnNode(name: string, script: string, options: SpawnOptions): Child {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${script}`);
  const lines: string[] = [];
  const everything: string[] = [];
  let kept = 0;
  let echoed = 0;
  const jsonWaiters: Array<(value: unknown) => void> = [];
  let json: unknown;

  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    if (options.quiet && kept < 4_000_000) everything.push(line);
    kept += line.length;
    if (stream === 'stdout' && json === undefined) {
      try {
        json = JSON.parse(line);
        jsonWaiters.splice(0).forEach((resolve) => resolve(json));
        return;
      } catch {
        // Not the JSON line: ordinary output.
      }
    }
    // Apps run at LOG_LEVEL=warn, so anything they print deserves to be seen, but not a flood.
    if (options.quiet) return;
    if (echoed < ECHO_LINES) console.log(`  [${name}] ${line}`);
    else if (echoed === ECHO_LINES) console.log(`  [${name}] (further output not shown)`);
    echoed++;
  };
  for (const [stream, label] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) onLine(line, label);
    });
  }

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  return {
    name,
    pid: child.pid,
    process: child,
    tail: () => lines.join('\n'),
    output: () => everything.join('\n'),
    firstJsonLine: () =>
      new Promise((resolve, reject) => {
        if (json !== undefined) return resolve(json);
        jsonWaiters.push(resolve);
        child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before printing its JSON line:\n${lines.join('\n')}`)));
      }),
    async stop() {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_GRACE_MS)));
      const killed = await Promise.race([exited.then(() => false), graceOver]);
      clearTimeout(timer);
      if (killed && isRunning()) {
        console.error(`  [${name}] did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM; sending SIGKILL`);
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `url` until it answers 200; fails if the child exits first or time runs out. */
export async function waitForHealthy(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.process.signalCode ?? child.process.exitCode}) while starting:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${child.name} not healthy at ${url} within ${timeoutMs / 1000} s (${last}):\n${child.tail()}`);
}

/** A port that was free a moment ago (the OS picks it); the child binds it right after. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Peak resident memory of a live process (VmHWM in /proc/<pid>/status), in MB; null if unreadable. */
export function peakMemoryMb(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms; null if unreadable. Read from
 * /proc/<pid>/stat in clock ticks, which Linux always reports in USER_HZ = 100 per second, so
 * the resolution is 10 ms: fine over cells of several seconds.
 */
export function cpuTimeMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** The command name of a process (`/proc/<pid>/comm`); null if there is no such process here. */
export function processName(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Undo steps, run newest first, at most once, whatever happened: normal end, an error, or a
 * signal. A failing step is reported and does not stop the others.
 */
export class Cleanup {
  private readonly steps: Array<{ label: string; run: () => Promise<void> }> = [];
  private running?: Promise<void>;

  add(label: string, run: () => Promise<void>): void {
    this.steps.push({ label, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await step.run().catch((err: unknown) => console.error(`cleanup: ${step.label} failed: ${(err as Error)?.message ?? String(err)}`));
      }
    })();
    return this.running;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
