import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type IORedis from 'ioredis';
import { GatewayConfig } from '@app/config';
import { closeRedis, createRedisConnection } from '@app/queue';

/** What changed: a key (message = its hash) or the stored models (message unused). */
export type ChangeTopic = 'keys' | 'models';

type Handler = (message: string) => void;

/**
 * Tells every gateway replica that a key or the model list changed, over Redis pub/sub, so
 * in-memory caches are dropped within milliseconds. Pub/sub loses messages while a replica is
 * disconnected, so after a reconnect each listener is told to start over (`onResync`).
 */
@Injectable()
export class ChangeNotices implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeNotices.name);
  private readonly channels: Record<ChangeTopic, string>;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly resyncs: Array<() => void> = [];
  private readonly redisUrl: string;
  private subscriber?: IORedis;
  private publisher?: IORedis;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    const prefix = config.env.QUEUE_PREFIX;
    this.channels = { keys: `${prefix}:keys:invalidate`, models: `${prefix}:models:changed` };
    this.redisUrl = config.env.REDIS_URL;
  }

  on(topic: ChangeTopic, handler: Handler): void {
    const channel = this.channels[topic];
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  /** Runs after a lost subscription comes back: notices may have been missed. */
  onResync(handler: () => void): void {
    this.resyncs.push(handler);
  }

  async onModuleInit(): Promise<void> {
    this.publisher = createRedisConnection(this.redisUrl, 'request-path', 'switchyard:gateway-notices');
    this.subscriber = createRedisConnection(this.redisUrl, 'blocking', 'switchyard:gateway-notices-sub');
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    let subscribedBefore = false;
    this.subscriber.on('ready', () => {
      if (subscribedBefore) for (const resync of this.resyncs) resync();
      subscribedBefore = true;
    });
    this.subscriber.on('error', () => undefined);
    await this.subscriber.subscribe(...Object.values(this.channels));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.subscriber, this.publisher].filter((c): c is IORedis => !!c).map(closeRedis));
  }

  /** Best effort: a replica that misses it catches up when its cache entry expires. */
  async publish(topic: ChangeTopic, messages: string[]): Promise<void> {
    await Promise.all(
      messages.map((message) =>
        this.publisher?.publish(this.channels[topic], message).catch((err: Error) => {
          this.logger.warn(`could not tell other gateways about a ${topic} change: ${err.message}`);
        }),
      ),
    );
  }
}
