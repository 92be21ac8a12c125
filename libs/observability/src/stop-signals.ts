import type { LoggerService } from '@nestjs/common';

/** How long past its grace period a stopping app may take to close its connections before it is ended anyway. */
const CLOSE_ALLOWANCE_MS = 10_000;

/**
 * On SIGTERM or SIGINT runs `stop` once, then exits 0; exits 1 if stopping fails or overruns
 * the grace period by more than {@link CLOSE_ALLOWANCE_MS}. Later signals are ignored: Ctrl-C
 * under `npm start` delivers two, and one orderly stop is what both ask for.
 */
export function exitAfterStopSignal(stop: (signal: NodeJS.Signals) => Promise<void>, options: { logger: LoggerService; graceMs: number }): void {
  const { logger } = options;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
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
