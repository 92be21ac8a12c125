import type { LoggerService } from '@nestjs/common';

/** How long past its grace period a stopping app may take to close its connections before it is ended anyway. */
const CLOSE_ALLOWANCE_MS = 10_000;

/**
 * On SIGTERM or SIGINT runs `stop` once, then exits 0; exits 1 if stopping fails or overruns
 * the grace period by more than {@link CLOSE_ALLOWANCE_MS}. A second SIGINT (Ctrl-C pressed
 * again) exits at once; a second SIGTERM is ignored, since one Ctrl-C under `npm start` arrives
 * as a SIGINT from the terminal and a SIGTERM from `npm start`.
 */
export function exitAfterStopSignal(stop: (signal: NodeJS.Signals) => Promise<void>, options: { logger: LoggerService; graceMs: number }): void {
  const { logger } = options;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal !== 'SIGINT') return;
      logger.warn('SIGINT again: exiting without waiting for the work in hand', 'Shutdown');
      process.exit(130);
    }
    stopping = true;
    logger.log(`${signal} received`, 'Shutdown');
    setTimeout(() => {
      logger.error(`did not stop within ${(options.graceMs + CLOSE_ALLOWANCE_MS) / 1000} s; exiting`, 'Shutdown');
      process.exit(1);
    }, options.graceMs + CLOSE_ALLOWANCE_MS).unref();
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error(`could not stop cleanly: ${(err as Error)?.message ?? String(err)}`, 'Shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
