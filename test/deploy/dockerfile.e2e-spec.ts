import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import * as ts from 'typescript';
import { APPS, ROOT, defaultPort, entryFiles, readText, startCommand } from './app-contract';

/** The Dockerfile, read with a Dockerfile parser (Docker cannot run here), and .dockerignore. */
describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(readText('Dockerfile'));
  const instructions = dockerfile.getInstructions();
  // Instructions of each stage, from its FROM to the next.
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === 'FROM') stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  const final = stages.at(-1)!;
  const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
  const runs = (stage: Instruction[]) => stage.filter((i) => i.getKeyword() === 'RUN').map((i) => args(i).join(' '));
  const flag = (i: Instruction, name: string) =>
    (i as unknown as { getFlags?: () => Array<{ getName(): string; getValue(): string | null }> })
      .getFlags?.()
      .find((f) => f.getName() === name)
      ?.getValue();

  it('builds in one stage and runs from another, on the newest Node major the project declares', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines.node;
    // `^20.19.0 || ^22.13.0 || >=24` declares 20, 22 and 24: the image runs 24.
    const wantedMajor = Math.max(...engines.split('||').map((range) => Number(/\d+/.exec(range)![0])));
    for (const from of dockerfile.getFROMs()) {
      expect(from.getImageName()).toBe('node');
      expect(Number(/^\d+/.exec(from.getImageTag() ?? '')?.[0])).toBe(wantedMajor);
    }
    expect(runs(stages[0])).toContain('npm run build');
  });

  it('installs production dependencies only in the final stage, the same way as in development (no install scripts)', () => {
    const installs = runs(final).filter((r) => /\bnpm (ci|install)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\bnpm ci\b.*--omit=dev/);
    for (const run of [...runs(stages[0]), ...runs(final)].filter((r) => /\bnpm ci\b/.test(r))) expect(run).toContain('--ignore-scripts');
  });

  it('puts only the compiled apps in the final image, not the sources, tests or the build context', () => {
    const copies = final.filter((i) => i.getKeyword() === 'COPY');
    const fromBuild = copies.filter((c) => flag(c, 'from') !== undefined);
    expect(fromBuild.map((c) => [flag(c, 'from'), ...args(c)])).toEqual([[dockerfile.getFROMs()[0].getBuildStage(), '/app/dist', './dist']]);
    const fromContext = copies.filter((c) => flag(c, 'from') === undefined).flatMap((c) => args(c).slice(0, -1));
    expect(fromContext.sort()).toEqual(['package-lock.json', 'package.json']);
  });

  it('runs as a user other than root', () => {
    const users = final.filter((i) => i.getKeyword() === 'USER').map((i) => args(i)[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('starts the gateway with node itself (exec form, no shell or npm in between) and its V8 flags, and can start every app', () => {
    expect(dockerfile.getENTRYPOINTs()).toEqual([]);
    const cmd = dockerfile.getCMDs().at(-1)!;
    const json = (cmd as unknown as { getJSONStrings(): Array<{ getJSONValue(): string }> }).getJSONStrings().map((s) => s.getJSONValue());
    expect(json).toEqual(startCommand('gateway'));
    // The workers are the same image with another command: `npm run build` in the first stage
    // builds every app (entryFiles checks the script) and dist/ is copied whole.
    expect(Object.keys(entryFiles()).sort()).toEqual([...APPS].sort());
  });

  it.each(APPS)('starts %s with V8 flags this Node takes, which bound its young generation', (app) => {
    const flags = startCommand(app).slice(1, -1);
    const semiSpaceMb = Number(/^--max-semi-space-size=(\d+)$/.exec(flags.find((f) => f.startsWith('--max-semi-space-size=')) ?? '')?.[1]);
    expect(semiSpaceMb).toBeGreaterThan(0);
    // Short-lived objects with some survivors, as calls in flight make: V8 grows the young generation to its limit.
    const churn = `const v8 = require('v8'); const kept = [];
      for (let i = 0; i < 3e6; i++) { const o = { i, a: [i] }; if (i % 8 === 0) kept.push(o); if (kept.length > 60000) kept.length = 0; }
      process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));`;
    // node refuses to start on a flag it does not know: the container would not come up.
    const newSpaceBytes = Number(execFileSync(process.execPath, [...flags, '-e', churn], { encoding: 'utf8' }));
    expect(newSpaceBytes).toBeGreaterThan(0);
    expect(newSpaceBytes).toBeLessThanOrEqual(2 * semiSpaceMb * 1024 * 1024);
  });

  it('exposes the ports the apps listen on by default', () => {
    const exposed = final.filter((i) => i.getKeyword() === 'EXPOSE').flatMap((i) => args(i).map(Number));
    expect(exposed.sort()).toEqual(APPS.map(defaultPort).sort());
  });
});

describe('.dockerignore', () => {
  const ignored = readText('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('keeps secrets, local config and local builds out of the build context', () => {
    for (const entry of ['.env', 'config.yaml', 'node_modules', 'dist', '.git']) expect(ignored).toContain(entry);
  });

  it('leaves in the build context every file `npm run build` compiles (no spec file or test helper among them)', () => {
    for (const app of APPS) {
      const configPath = join(ROOT, `apps/${app}/tsconfig.app.json`);
      const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
      const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
      const compiled = ts
        .createProgram(parsed.fileNames, parsed.options)
        .getSourceFiles()
        .map((f) => relative(ROOT, f.fileName))
        .filter((f) => !f.startsWith('node_modules/') && !f.startsWith('..'));
      const entry = entryFiles()[app];
      expect(compiled).toContain(entry.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
      expect(compiled.filter((f) => ignored.includes(f.split('/')[0]) || /\.spec\.ts$/.test(f))).toEqual([]);
    }
  });
});
