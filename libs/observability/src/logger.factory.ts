import { ConsoleLogger, type LogLevel } from '@nestjs/common';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The app logger: the configured level and everything more severe, as text or one JSON object a line. */
export function createLogger(appName: string, level: string, format: 'text' | 'json'): ConsoleLogger {
  const cut = Math.max(LEVELS.indexOf(level as LogLevel), LEVELS.indexOf('error'));
  return new ConsoleLogger(appName, { logLevels: LEVELS.slice(0, cut + 1), json: format === 'json', colors: format === 'text' && Boolean(process.stdout.isTTY) });
}
