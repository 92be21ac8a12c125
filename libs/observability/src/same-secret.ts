import { createHash, timingSafeEqual } from 'node:crypto';

/** Comparison in constant time whatever the lengths: both sides are hashed first. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
