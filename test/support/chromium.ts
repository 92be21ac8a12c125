import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Browser } from 'playwright-core';

/** The one line a run without Chromium stops with. */
export function chromiumMissing(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given) return `The admin UI tests need Chromium: CHROMIUM_PATH=${given} is not an executable file`;
  return 'The admin UI tests need Chromium: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)';
}

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CHROMIUM_PATH, else the first of chromium, chromium-browser, google-chrome on the PATH (and in /usr/bin); undefined when there is none. */
export function findChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return executable(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const name of NAMES) for (const dir of dirs) if (executable(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The Chromium the admin UI tests drive; throws the one line saying what to install when there is none. */
export function chromiumPath(): string {
  const path = findChromium();
  if (!path) throw new Error(chromiumMissing());
  return path;
}

// The flags keep Chromium off the network it does not need (and cannot reach in CI).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Headless Chromium (the system's, never a downloaded browser) driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
