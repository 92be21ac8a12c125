import { ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';

/**
 * Runs a terminus check and answers its own body: 200 when all parts are up, 503 naming the
 * failing part otherwise. Probes read the status; people read the body.
 */
export async function answerHealth(res: Response, check: () => Promise<HealthCheckResult>): Promise<HealthCheckResult> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof ServiceUnavailableException) {
      res.status(503);
      return err.getResponse() as HealthCheckResult;
    }
    throw err;
  }
}

export const LIVENESS_BODY = { status: 'ok' } as const;
