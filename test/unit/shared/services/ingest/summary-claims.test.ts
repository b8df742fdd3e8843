// The processor's memory of rejection summary claims: the store is asked once per pipeline and
// window, and again after a release or in a new window.
import { describe, expect, it } from 'vitest';
import { memoryRejections } from '../../../../../shared/adapters/memory/rejection-store.ts';
import { rememberSummaryClaims } from '../../../../../shared/services/ingest/summary-claims.ts';

const T = Date.parse('2026-11-20T10:15:30.000Z');

describe('rememberSummaryClaims', () => {
  it('asks the store once per pipeline and window, and again after a release or in a new window', async () => {
    const inner = memoryRejections();
    const claims = rememberSummaryClaims(inner);
    const window = (start: number) => ({ start: new Date(start).toISOString(), end: new Date(start + 60_000).toISOString(), startMs: start, endMs: start + 60_000 });
    const w1 = window(T);
    expect(await claims.claimSummary(1, w1)).toBe(true);
    expect(await claims.claimSummary(1, w1)).toBe(false);
    expect(await claims.claimSummary(2, w1)).toBe(true);
    expect(inner.calls).toEqual(['claimSummary 1', 'claimSummary 2']);
    await claims.releaseSummary(1, w1);
    expect(await claims.claimSummary(1, w1)).toBe(true);
    expect(await claims.claimSummary(1, window(T + 60_000))).toBe(true);
    expect(inner.calls.filter((call) => call.startsWith('claimSummary 1'))).toHaveLength(3);
  });
});
