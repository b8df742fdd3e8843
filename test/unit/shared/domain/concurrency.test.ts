// Bounded concurrency: the attempt slots never run more than their limit, and a bounded loop over
// items keeps at most its number in flight and stops at the first failure.
import { describe, expect, it } from 'vitest';
import { forEachBounded, semaphore } from '../../../../shared/domain/concurrency.ts';

describe('concurrency', () => {
  it('semaphore never runs more than its limit at once', async () => {
    const limit = semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('forEachBounded keeps at most its number in flight, visits every item once, and rejects with a failure', async () => {
    let active = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 2, async (item) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(item);
      active--;
    });
    expect(peak).toBe(2);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await expect(forEachBounded([1, 2, 3], 2, async (item) => {
      if (item === 2) throw new Error('item 2');
    })).rejects.toThrow('item 2');
  });
});
