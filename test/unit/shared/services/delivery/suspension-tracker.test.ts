// The per-address suspension tracker: concurrent instances never lose an invalid answer's count.
import { describe, expect, it } from 'vitest';
import { memorySuspensionStore } from '../../../../../shared/adapters/memory/delivery-store.ts';
import { SUSPENSION_RULE } from '../../../../../shared/domain/delivery/suspension.ts';
import { suspensionTracker } from '../../../../../shared/services/delivery/suspension-tracker.ts';

const T0 = Math.floor(Date.now() / 1000) * 1000;

describe('suspension tracker', () => {
  it('loses no count when two instances record 150 invalids concurrently: their writes conflict and the loser re-applies', async () => {
    // A store with latency, so both instances read version 0 before either writes.
    const store = memorySuspensionStore({ latencyMs: 2 });
    const a = suspensionTracker(store, { cacheMs: 0 });
    const b = suspensionTracker(store, { cacheMs: 0 });
    await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).recordInvalid('x:443', T0 + i)));
    const state = store.items.get('x:443')!;
    expect(store.conflicts).toBeGreaterThanOrEqual(1);
    expect(state.version).toBe(150);
    expect(state.recentInvalids).toHaveLength(SUSPENSION_RULE.threshold + 1);
    // It started when the 101st count was written, whichever instance wrote it.
    expect(state.suspendedUntil! - SUSPENSION_RULE.suspensionMs).toBeGreaterThanOrEqual(T0);
    expect(state.suspendedUntil! - SUSPENSION_RULE.suspensionMs).toBeLessThan(T0 + 150);
  });
});
