import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { GatewayConfig, type EnvSource, parseByteSize } from '@app/config';
import { type AppLogger, GatewayMetrics, createLogger } from '@app/observability';
import { GatewayModule } from './gateway.module';
import { installAdminUi } from './admin-ui/admin-ui.static';
import { weakMasterKeyReason } from './auth/key-material';
import { installApiDocs } from './http/api-docs';
import { installHttpPipeline } from './http/http-pipeline';
import { installRequestObserver } from './http/request-observer';
import { bindRequestTrace, installRequestTrace } from './http/request-trace';
import { GatewayDrain } from './lifecycle/gateway-drain.service';

/**
 * Builds the gateway (not yet listening). `main.ts` and the tests both start it this way;
 * `main.ts` also handles SIGTERM (see `lifecycle/gateway-shutdown.ts`).
 */
export async function createGatewayApp(source: EnvSource): Promise<{ app: NestExpressApplication; config: GatewayConfig; logger: AppLogger }> {
  const config = GatewayConfig.load(source);
  const logger = createLogger('gateway', config.env.LOG_LEVEL, config.env.LOG_FORMAT);
  if (config.ignoredSections.length) {
    logger.warn(`config.yaml sections not used by Switchyard yet: ${config.ignoredSections.join(', ')}`, 'Config');
  }
  const weakness = weakMasterKeyReason(config.env.MASTER_KEY);
  if (weakness) {
    logger.warn(
      `the master key ${weakness}: whoever guesses it is admin; set MASTER_KEY (or LITELLM_MASTER_KEY) to a long random value, e.g. sk- and 32 random characters`,
      'Config',
    );
  }
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule.forRoot(config), { logger, bodyParser: false });
  installRequestObserver(app, { log: logger.child('HTTP'), metrics: app.get(GatewayMetrics), drain: app.get(GatewayDrain) });
  installRequestTrace(app);
  if (config.env.TRUST_PROXY !== undefined) app.set('trust proxy', config.env.TRUST_PROXY);
  installHttpPipeline(app, parseByteSize(config.env.MAX_REQUEST_BODY));
  bindRequestTrace(app);
  installAdminUi(app);
  installApiDocs(app);
  return { app, config, logger };
}
