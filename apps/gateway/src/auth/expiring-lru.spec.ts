import { ExpiringLru } from './expiring-lru';

describe('ExpiringLru', () => {
  it('evicts the least recently used entry beyond its bound', () => {
    const lru = new ExpiringLru<number>(2);
    lru.set('a', 1, 1000, 0);
    lru.set('b', 2, 1000, 0);
    expect(lru.get('a', 1)).toBe(1);
    lru.set('c', 3, 1000, 2);
    expect([lru.get('a', 3), lru.get('b', 3), lru.get('c', 3)]).toEqual([1, undefined, 3]);
    expect(lru.size).toBe(2);
  });

  it('forgets an entry once it has expired', () => {
    const lru = new ExpiringLru<number>(10);
    lru.set('a', 1, 100, 0);
    expect(lru.get('a', 99)).toBe(1);
    expect(lru.get('a', 100)).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});
