import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate', () => {
    const limiter = new RateLimiter({ perSecond: 10, burst: 3, now: 0 });
    expect([limiter.take(0), limiter.take(0), limiter.take(0), limiter.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(limiter.take(50)).toBe(false);
    expect(limiter.take(100)).toBe(true);
    expect(limiter.take(10_000)).toBe(true);
    expect(limiter.take(10_000)).toBe(true);
    expect(limiter.take(10_000)).toBe(true);
    expect(limiter.take(10_000)).toBe(false);
  });
});
