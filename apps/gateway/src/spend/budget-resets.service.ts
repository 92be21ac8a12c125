import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThanOrEqual, type Repository } from 'typeorm';
import { VirtualKeyEntity } from '@app/database';
import type { KeyRecord } from '../auth/auth-context';
import { KeyCacheService, toRecord } from '../auth/key-cache.service';
import { orUnavailable } from '../http/or-unavailable';
import { endOf } from '../keys/durations';
import { KeyLimits } from '../limits/key-limits.service';

// Idle keys are reset by a sweep; a key in use is reset by its first call after the due time.
const SWEEP_MS = 60_000;

/**
 * `budget_duration`: when a key's `budget_reset_at` has passed, its spend starts again from 0
 * and the next reset is one duration from now (`1mo`: the same day next month, or its last day). Safe with several gateways: the UPDATE only
 * matches a key that is still due, so one of them does it.
 */
@Injectable()
export class BudgetResets implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BudgetResets.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectRepository(VirtualKeyEntity) private readonly keys: Repository<VirtualKeyEntity>,
    private readonly cache: KeyCacheService,
    private readonly limits: KeyLimits,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: Error) => this.logger.warn(`budget reset sweep failed: ${err.message}`)), SWEEP_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The key as it stands after any reset that was due. */
  async resetIfDue(key: KeyRecord, now = Date.now()): Promise<KeyRecord> {
    if (!key.budgetDuration || !key.budgetResetAt || key.budgetResetAt.getTime() > now) return key;
    await this.reset([{ id: key.id, token: key.token, budgetDuration: key.budgetDuration }], now);
    // Re-read: this gateway or another one has just reset it.
    const row = await orUnavailable(this.keys.findOneBy({ id: key.id }));
    return row ? toRecord(row) : key;
  }

  async sweep(now = Date.now()): Promise<void> {
    const due = await this.keys.find({ where: { budgetResetAt: LessThanOrEqual(new Date(now)) }, select: { id: true, token: true, budgetDuration: true } });
    await this.reset(due, now);
  }

  private async reset(due: Array<Pick<VirtualKeyEntity, 'id' | 'token' | 'budgetDuration'>>, now: number): Promise<void> {
    const reset: Array<{ id: string; token: string }> = [];
    for (const { id, token, budgetDuration } of due) {
      if (!budgetDuration) continue;
      const result = await orUnavailable(
        this.keys
          .createQueryBuilder()
          .update()
          .set({ spend: 0, budgetResetAt: endOf(budgetDuration, new Date(now)) })
          .where('id = :id AND budget_reset_at <= :now', { id, now: new Date(now) })
          .execute(),
      );
      if (result.affected) reset.push({ id, token });
    }
    if (reset.length === 0) return;
    await this.limits.forgetSpend(reset.map((k) => k.id));
    await this.cache.invalidate(reset.map((k) => k.token));
  }
}
