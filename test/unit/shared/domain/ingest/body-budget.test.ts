import { describe, expect, it } from 'vitest';
import { fetchPriority, planFetchRounds } from '../../../../../shared/domain/ingest/body-budget.ts';

describe('fetch rounds', () => {
  it('fill each round up to the budget in order; a larger item is a round of its own', () => {
    const items = [3, 3, 1, 9, 2, 2].map((bytes, i) => ({ bytes, i }));
    expect(planFetchRounds(items, 7).map((round) => round.map((item) => item.i))).toEqual([[0, 1, 2], [3], [4, 5]]);
    expect(planFetchRounds([], 7)).toEqual([]);
  });

  it('fetch messages received more often first, then in queue order', () => {
    const items = [
      { receiveCount: 1, index: 0 },
      { receiveCount: 3, index: 1 },
      { receiveCount: 1, index: 2 },
      { receiveCount: 2, index: 3 },
    ];
    expect([...items].sort(fetchPriority).map((item) => item.index)).toEqual([1, 3, 0, 2]);
  });
});
