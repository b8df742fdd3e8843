import { describe, expect, it } from 'vitest';
import { newRunId, newSyncId, rowOpEventId, rowOpOf, RUN_ID, SYNC_ID } from '../../../../../shared/domain/syncs/ids.ts';

describe('ids', () => {
  const base = { syncId: 'syn_0123456789abcdef0123', runId: 'run_0mx3r9onk_ca09beb4', key: '42', op: 'upsert' as const, rowNum: 7 };

  it("a row-op's event id is the same for the same (sync, run, key, op) and differs when any of them does", () => {
    expect(rowOpEventId(base)).toBe(rowOpEventId({ ...base }));
    const variants = [{ syncId: 'syn_0123456789abcdef0124' }, { runId: 'run_0mx3r9onk_ca09beb5' }, { key: '43' }, { op: 'delete' as const }];
    for (const change of variants) expect(rowOpEventId({ ...base, ...change })).not.toBe(rowOpEventId(base));
    // Keys that concatenate alike are still different row-ops.
    expect(rowOpEventId({ ...base, key: 'a,b' })).not.toBe(rowOpEventId({ ...base, key: 'a', runId: `${base.runId},b` }));
  });

  it('carries its op and row number, and nothing else parses as a row-op', () => {
    expect(rowOpOf(rowOpEventId(base))).toEqual({ op: 'upsert', rowNum: 7 });
    expect(rowOpEventId(base)).toMatch(/^evt_sync_[0-9a-f]{24}_upsert_7$/);
    for (const other of ['evt_recv_abc', 'evt_sync_xyz_upsert_1', `evt_sync_${'0'.repeat(24)}_merge_1`]) expect(rowOpOf(other)).toBeUndefined();
  });

  it('sync and run ids have their shapes; run ids sort by start time', () => {
    expect(newSyncId()).toMatch(SYNC_ID);
    const early = newRunId(Date.UTC(2026, 0, 1));
    const late = newRunId(Date.UTC(2026, 0, 1) + 1);
    expect(early).toMatch(RUN_ID);
    expect(early < late).toBe(true);
  });
});
