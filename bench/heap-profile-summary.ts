/**
 * Summarises sampled allocation profiles (`.heapprofile`, as `npm run bench -- --heap-prof` writes
 * them, garbage included): for each file, the bytes allocated in all; the functions that allocated
 * the most; the bytes by where the allocating code lives (the app's own code, each npm package,
 * Node's internals); and the same with Node's internals charged to the nearest npm package or
 * project file that called them (who built the Buffer, the string, the closure…). Prints Markdown.
 * Sizes are V8's estimates from its samples. `--callers=<text>`: for the functions whose name
 * contains it, the call chains that lead to them. `--per=<n>`: also each figure divided by n (the
 * calls made during the run).
 *
 *   npx ts-node --transpile-only bench/heap-profile-summary.ts [--top=N] [--callers=X] [--per=N] reports/heap-<time>/*.heapprofile
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type CallFrame, PSEUDO, areaOf, frameName, isOwnOrPackage } from './cpu-profile-summary';

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children?: HeapNode[];
}
interface HeapProfile {
  head: HeapNode;
}

export interface HeapSummary {
  totalBytes: number;
  functions: Array<[string, number]>;
  areas: Array<[string, number]>;
  charged: Array<[string, number]>;
  chains: Array<[string, number]>;
}

export function summariseHeap(profile: HeapProfile, top: number, callers?: string): HeapSummary {
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  const charged = new Map<string, number>();
  const chains = new Map<string, number>();
  const add = (m: Map<string, number>, key: string, bytes: number) => m.set(key, (m.get(key) ?? 0) + bytes);
  let totalBytes = 0;
  // Depth first with the path from the root, so a node's callers are at hand.
  const walk = (node: HeapNode, path: CallFrame[]) => {
    const frame = node.callFrame;
    if (node.selfSize > 0) {
      totalBytes += node.selfSize;
      const name = frameName(frame);
      add(functions, name, node.selfSize);
      add(areas, areaOf(frame), node.selfSize);
      const owner = PSEUDO.has(frame.functionName) && !frame.url ? undefined : [frame, ...path].find(isOwnOrPackage);
      add(charged, owner ? areaOf(owner) : areaOf(frame), node.selfSize);
      if (callers && name.includes(callers)) {
        const chain = [frame, ...path.filter((f) => f.functionName !== '(root)' && !f.url.startsWith('node:'))].slice(0, 6);
        add(chains, chain.map(frameName).join(' ← '), node.selfSize);
      }
    }
    const inner = [frame, ...path];
    for (const child of node.children ?? []) walk(child, inner);
  };
  walk(profile.head, []);
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalBytes,
    functions: sorted(functions).slice(0, top),
    areas: sorted(areas).slice(0, top),
    charged: sorted(charged).slice(0, top),
    chains: sorted(chains).slice(0, 10),
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const top = Number(option('top') ?? 25);
  const callers = option('callers');
  const per = option('per') ? Number(option('per')) : undefined;
  const files = args.filter((a) => !a.startsWith('--'));
  if (!files.length) throw new Error('usage: heap-profile-summary.ts [--top=N] [--callers=X] [--per=N] file.heapprofile…');
  for (const file of files) {
    const { totalBytes, functions, areas, charged, chains } = summariseHeap(JSON.parse(readFileSync(file, 'utf8')) as HeapProfile, top, callers);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const pct = (bytes: number) => `${((bytes / totalBytes) * 100).toFixed(1)}%`;
    const perCall = (bytes: number) => (per ? ` ${Math.round(bytes / per)} |` : '');
    const head = per ? ' bytes per call |' : '';
    const rule = per ? '---:|' : '';
    const rows = (list: Array<[string, number]>, code: boolean) =>
      list.map(([k, b]) => `| ${code ? `\`${k.replace(/\|/g, '\\|')}\`` : k} | ${mb(b)} | ${pct(b)} |${perCall(b)}`);
    const lines = [
      `### ${basename(file)}`,
      '',
      `${mb(totalBytes)} MB allocated${per ? ` (${Math.round(totalBytes / per)} bytes per call over ${per} calls)` : ''}; shares below are of that.`,
      '',
      `| allocated by area | MB | share |${head}`,
      `|---|---:|---:|${rule}`,
      ...rows(areas, false),
      '',
      `| allocated, Node internals charged to their npm or project caller | MB | share |${head}`,
      `|---|---:|---:|${rule}`,
      ...rows(charged, false),
      '',
      `| allocating function | MB | share |${head}`,
      `|---|---:|---:|${rule}`,
      ...rows(functions, true),
      '',
      ...(callers ? [`Call chains to functions named like "${callers}" (innermost first):`, '', ...chains.map(([c, b]) => `- ${mb(b)} MB: \`${c}\``), ''] : []),
    ];
    console.log(lines.join('\n'));
  }
}

if (require.main === module) main();
