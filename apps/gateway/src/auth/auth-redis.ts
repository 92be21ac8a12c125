import { once } from 'node:events';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type IORedis from 'ioredis';
import { GatewayConfig } from '@app/config';
import { closeRedis, createRedisConnection } from '@app/queue';

/**
 * The Redis connection for what every gateway replica must agree on about admin credentials:
 * failed attempts per client address and revoked admin UI sessions.
 */
@Injectable()
export class AuthRedis implements OnModuleInit, OnApplicationShutdown {
  readonly client: IORedis;
  private readonly prefix: string;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.prefix = config.env.QUEUE_PREFIX;
    this.client = createRedisConnection(config.env.REDIS_URL, 'request-path', 'switchyard:gateway-auth');
    this.client.on('error', () => undefined);
  }

  /** Connected before the gateway serves; gives up waiting after 10 s (commands then fail until it is). */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await Promise.race([once(this.client, 'ready'), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  }

  onApplicationShutdown(): Promise<void> {
    return closeRedis(this.client);
  }

  /** A Redis key of this gateway's: `<QUEUE_PREFIX>:auth:<name>`. */
  key(name: string): string {
    return `${this.prefix}:auth:${name}`;
  }
}
