import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type IORedis from 'ioredis';
import { GatewayConfig } from '@app/config';
import { closeRedis, createRedisConnection } from '@app/queue';

/** What changed: a key (message = its hash) or the stored models (message unused). */
export type ChangeTopic = 'keys' | 'models';

/** The message that says: anything of this topic may have changed (sent after notices could not be). */
export const EVERY_ITEM = '*';

type Handler = (message: string) => void;

// How often notices that could not be sent are tried again.
const RESEND_EVERY_MS = 1_000;

/**
 * Tells every gateway replica that a key or the model list changed, over Redis pub/sub, so
 * in-memory caches are dropped within milliseconds. Pub/sub loses messages, so both ends make up
 * for it: a replica that could not publish sends "everything changed" ({@link EVERY_ITEM}) once it
 * can, and a replica whose subscription was down tells its listeners to start over (`onResync`)
 * once it is subscribed again; in between, `listening` is false.
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
  /** Topics with a change that could not be announced yet. */
  private readonly unsent = new Set<ChangeTopic>();
  private resendTimer?: NodeJS.Timeout;
  private subscribed = false;
  private closing = false;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    const prefix = config.env.QUEUE_PREFIX;
    this.channels = { keys: `${prefix}:keys:invalidate`, models: `${prefix}:models:changed` };
    this.redisUrl = config.env.REDIS_URL;
  }

  /** True while this replica hears every notice; false from a lost subscription until it is back. */
  get listening(): boolean {
    return this.subscribed;
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
    this.publisher.on('error', () => undefined);
    this.subscriber = createRedisConnection(this.redisUrl, 'blocking', 'switchyard:gateway-notices-sub');
    const subscriber = this.subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    let started = false;
    subscriber.on('close', () => {
      if (started && this.subscribed && !this.closing) this.logger.warn('lost the change-notice subscription: cached keys are not used until it is back');
      this.subscribed = false;
    });
    subscriber.on('ready', () => {
      if (started) void this.resubscribe(subscriber);
    });
    subscriber.on('error', () => undefined);
    await subscriber.subscribe(...Object.values(this.channels));
    started = true;
    this.subscribed = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.resendTimer);
    await Promise.all([this.subscriber, this.publisher].filter((c): c is IORedis => !!c).map(closeRedis));
  }

  /** Best effort at once; a change that cannot be announced now is announced as "everything changed" once Redis answers. */
  async publish(topic: ChangeTopic, messages: string[]): Promise<void> {
    const sent = await Promise.all(messages.map((message) => this.send(topic, message)));
    if (sent.every(Boolean)) return;
    this.logger.warn(`could not tell other gateways about a ${topic} change; will tell them once Redis answers`);
    this.unsent.add(topic);
    this.resendTimer ??= setInterval(() => void this.resend(), RESEND_EVERY_MS).unref();
  }

  private async send(topic: ChangeTopic, message: string): Promise<boolean> {
    if (!this.publisher) return false;
    return this.publisher.publish(this.channels[topic], message).then(
      () => true,
      () => false,
    );
  }

  private async resend(): Promise<void> {
    for (const topic of [...this.unsent]) {
      if (await this.send(topic, EVERY_ITEM)) this.unsent.delete(topic);
    }
    if (this.unsent.size === 0) {
      clearInterval(this.resendTimer);
      this.resendTimer = undefined;
      this.logger.log('told other gateways about the changes that could not be announced');
    }
  }

  /** Subscribed again after a reconnection: only now are notices heard, so only now do listeners start over. */
  private async resubscribe(subscriber: IORedis): Promise<void> {
    try {
      await subscriber.subscribe(...Object.values(this.channels));
    } catch {
      return; // Lost again: the next 'ready' tries anew.
    }
    this.subscribed = true;
    this.logger.log('change-notice subscription back: dropping cached keys and reloading models, notices may have been missed');
    for (const resync of this.resyncs) resync();
  }
}
