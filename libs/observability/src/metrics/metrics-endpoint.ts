import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { SwitchyardError } from '@app/contracts';
import { sameSecret } from '../same-secret';

/**
 * Answers `GET /metrics` in Prometheus' text format. With a `METRICS_KEY`, the scraper must
 * send it as `Authorization: Bearer <key>`; otherwise the answer is a 401 in the OpenAI error
 * shape that names no key.
 */
export async function answerMetrics(registry: Registry, metricsKey: string | undefined, req: Request, res: Response): Promise<void> {
  if (metricsKey) {
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? '')?.[1]?.trim();
    if (!given || !sameSecret(given, metricsKey)) {
      const error = given
        ? new SwitchyardError('invalid_api_key', 'invalid metrics key')
        : new SwitchyardError('missing_api_key', '/metrics needs the metrics key: send "Authorization: Bearer <METRICS_KEY>"');
      res.status(error.status).json(error.toBody());
      return;
    }
  }
  const text = await registry.metrics();
  res.status(200).setHeader('content-type', registry.contentType);
  res.send(text);
}
