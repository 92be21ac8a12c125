/**
 * Summarises V8 CPU profiles (`.cpuprofile`, as `npm run bench -- --cpu-prof` writes them): for
 * each file, the functions with the most self time; the self time by where the code lives (the
 * app's own code, each npm package, Node's internals, native code, GC, idle); and the same with
 * Node's internals and native code charged to the nearest caller that is an npm package or the
 * project's code (who made the socket write, the JSON.stringify, …). Prints Markdown.
 * `--callers=<text>`: for the functions whose name contains it, the call chains that lead to them.
 *
 *   npx ts-node --transpile-only bench/cpu-profile-summary.ts [--top=N] [--callers=X] reports/cpu-<time>/*.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function's code lives: `switchyard apps/…`, `npm <package>`, `node:<module>`, or V8's pseudo-frames. */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return `(${frame.functionName.replace(/[()]/g, '') || 'native'})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `npm ${pkg[1]}`;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  const own = /\/(dist\/)?((apps|libs|bench)\/[^/]+)/.exec(url);
  if (own) return `switchyard ${own[2]}`;
  return url;
}

export function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/((?:dist\/)?(?:apps|libs|bench)\/.*)$/.exec(url);
  return own ? own[1] : url;
}

export const PSEUDO = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);
export const isOwnOrPackage = (frame: CallFrame) => /node_modules\/|\/(apps|libs|bench)\//.test(frame.url);

export function frameName(frame: CallFrame): string {
  return frame.url ? `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : frame.functionName;
}

export interface Summary {
  totalMs: number;
  functions: Array<[string, number]>;
  areas: Array<[string, number]>;
  /** Node internals and native code charged to their nearest npm or project caller. */
  charged: Array<[string, number]>;
  /** With `callers`: chains (innermost first) that lead to the matching functions, by self time. */
  chains: Array<[string, number]>;
}

export function summarise(profile: Profile, top: number, callers?: string): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chargedAreaOf = (id: number): string => {
    const frame = byId.get(id)!.callFrame;
    if (PSEUDO.has(frame.functionName) && !frame.url) return frame.functionName;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (isOwnOrPackage(f)) return areaOf(f);
    }
    return areaOf(frame);
  };
  const chainOf = (id: number): string => {
    const names: string[] = [];
    // The function itself, then its callers outside Node's internals (those say little).
    for (let at: number | undefined = id; at !== undefined && names.length < 6; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (f.functionName === '(root)') break;
      if (at === id || !f.url.startsWith('node:')) names.push(frameName(f));
    }
    return names.join(' ← ');
  };
  const charged = new Map<string, number>();
  const chains = new Map<string, number>();
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    totalUs += us;
    const name = frameName(frame);
    functions.set(name, (functions.get(name) ?? 0) + us);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const chargedTo = chargedAreaOf(id);
    charged.set(chargedTo, (charged.get(chargedTo) ?? 0) + us);
    if (callers && name.includes(callers)) {
      const chain = chainOf(id);
      chains.set(chain, (chains.get(chain) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000] as [string, number]);
  return {
    totalMs: totalUs / 1000,
    functions: sorted(functions).slice(0, top),
    areas: sorted(areas).slice(0, top),
    charged: sorted(charged).slice(0, top),
    chains: sorted(chains).slice(0, 10),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const top = Number(args.find((a) => a.startsWith('--top='))?.slice('--top='.length) ?? 25);
  const callers = args.find((a) => a.startsWith('--callers='))?.slice('--callers='.length);
  const files = args.filter((a) => !a.startsWith('--'));
  if (!files.length) throw new Error('usage: cpu-profile-summary.ts [--top=N] [--callers=X] file.cpuprofile…');
  for (const file of files) {
    const { totalMs, functions, areas, charged, chains } = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, top, callers);
    const idle = areas.find(([a]) => a === '(idle)')?.[1] ?? 0;
    const busy = totalMs - idle;
    const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
    const lines = [
      `### ${basename(file)}`,
      '',
      `${(totalMs / 1000).toFixed(1)} s profiled, ${(busy / 1000).toFixed(1)} s not idle; shares below are of the not-idle time.`,
      '',
      '| self time by area | ms | share |',
      '|---|---:|---:|',
      ...areas.filter(([a]) => a !== '(idle)').map(([a, ms]) => `| ${a} | ${ms.toFixed(0)} | ${pct(ms)} |`),
      '',
      '| self time, Node internals and native code charged to their npm or project caller | ms | share |',
      '|---|---:|---:|',
      ...charged.filter(([a]) => a !== '(idle)').map(([a, ms]) => `| ${a} | ${ms.toFixed(0)} | ${pct(ms)} |`),
      '',
      '| function (self time) | ms | share |',
      '|---|---:|---:|',
      ...functions.filter(([f]) => f !== '(idle)').map(([f, ms]) => `| \`${f.replace(/\|/g, '\\|')}\` | ${ms.toFixed(0)} | ${pct(ms)} |`),
      '',
      ...(callers
        ? [`Call chains to functions named like "${callers}" (innermost first):`, '', ...chains.map(([c, ms]) => `- ${ms.toFixed(0)} ms: \`${c}\``), '']
        : []),
    ];
    console.log(lines.join('\n'));
  }
}

if (require.main === module) main();
