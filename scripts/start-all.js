#!/usr/bin/env node
// `npm start`: the gateway and both workers from dist/, for local use. Ctrl-C stops all three.
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const apps = ['gateway', 'worker-openai', 'worker-ollama'];
const root = join(__dirname, '..');
const { scripts } = require('../package.json');
/** `node`'s arguments for an app, as its start script has them (V8 flags, then the built file): `start:worker:openai` for worker-openai. */
const nodeArgs = (app) => scripts[`start:${app.replace('-', ':')}`].trim().split(/\s+/).slice(1);
const missing = apps.filter((app) => !existsSync(join(root, nodeArgs(app).at(-1))));
if (missing.length) {
  console.error(`not built: ${missing.join(', ')}. Run "npm run build" first.`);
  process.exit(1);
}

const children = apps.map((app) => {
  const args = nodeArgs(app);
  const child = spawn(process.execPath, [...args.slice(0, -1), join(root, args.at(-1))], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${app}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`${prefix}exited (${signal ?? code})`);
    if (!stopping) stop(code || 1);
  });
  return child;
});

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
