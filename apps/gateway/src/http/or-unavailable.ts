import { QueryFailedError } from 'typeorm';
import { SwitchyardError } from '@app/contracts';

/** A Postgres failure that is not about the query itself (connection refused, timeout) is a 503. */
export async function orUnavailable<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof QueryFailedError || err instanceof SwitchyardError) throw err;
    throw new SwitchyardError('service_unavailable', `database unavailable (Postgres): ${(err as Error).message}`);
  }
}
