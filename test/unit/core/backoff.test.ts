// The one capped exponential back-off (core/backoff.ts) the retry loops share.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../agent/core/backoff.js';

describe('backoffDelay', () => {
  it('starts at initialMs, doubles per failure in a row, stops at maxMs', () => {
    const policy = { initialMs: 1000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffDelay(policy, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });
  it('treats no failure yet as the first wait, and never overflows', () => {
    expect(backoffDelay({ initialMs: 500, maxMs: 10_000 }, 0)).toBe(500);
    expect(backoffDelay({ initialMs: 500, maxMs: Number.MAX_SAFE_INTEGER }, 10_000)).toBe(500 * 2 ** 30);
  });
});
