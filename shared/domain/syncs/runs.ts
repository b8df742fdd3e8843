// A run's life (docs/design.md, "Syncs"):
//
//   running ──(every row-op enqueued, chunk by chunk)──▶ delivering ──(no delivery pending)──▶ succeeded | failed
//      └──(query fails, sync deleted, …)──▶ failed
//
// A run is `failed` when it could not run or when any of its deliveries ended failed; rows
// refused for their key (null, repeated) are counted but do not fail it. The snapshot is folded
// from the deliveries that succeeded when the run ends, so every other row-op is sent again by the
// next run. Runs of one sync never overlap: the sync item holds the active run's id (a claim).
import type { SyncOp } from './definition.ts';
import type { RowProblem } from './diff-sql.ts';

export type SyncRunStatus = 'running' | 'delivering' | 'succeeded' | 'failed';
export type SyncTrigger = 'manual' | 'schedule';

export const isFinalRunStatus = (status: SyncRunStatus) => status === 'succeeded' || status === 'failed';

/** Row-ops per op. */
export type OpCounts = Record<SyncOp, number>;
export const emptyOpCounts = (): OpCounts => ({ upsert: 0, append: 0, create: 0, delete: 0 });

/** Rows not sent, per reason: their key (null, repeated), or a payload over the event size limit. */
export type FailedRowReason = RowProblem | 'payload_too_large';
export type FailedRowCounts = Record<FailedRowReason, number>;
export const emptyFailedRows = (): FailedRowCounts => ({ null_primary_key: 0, duplicate_primary_key: 0, payload_too_large: 0 });

/** Row-ops enqueued per chunk: one chunk's events, deliveries and jobs are written before its checkpoint. */
export const DEFAULT_CHUNK_SIZE = 1000;

/**
 * When to look at a delivering run's deliveries again (engine clock, ms after the previous look):
 * quickly at first (most deliveries succeed at once), then every 5 minutes while retries wait.
 */
export const CHECK_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000] as const;
export function checkDelayMs(checksDone: number): number {
  return CHECK_DELAYS_MS[Math.min(checksDone, CHECK_DELAYS_MS.length - 1)]!;
}

/**
 * A run still delivering this long after its last row-op was enqueued ends anyway, its pending
 * deliveries counted as not delivered (sent again next run). Kommo's retry rule ends every delivery
 * within an hour of its first attempt, plus suspension waits; three hours leave room for both.
 */
export const DELIVERY_DEADLINE_MS = 3 * 60 * 60_000;

/** A claim older than this is taken over by the next trigger: its run died without ending (never for a live run: see DELIVERY_DEADLINE_MS). */
export const RUN_CLAIM_STALE_MS = 6 * 60 * 60_000;

/** Pending deliveries a check remembers by id (so later checks read only those); more = the next check queries the run's range again. */
export const MAX_TRACKED_PENDING = 1000;

/** A run's final status from its delivery counts. */
export function finalRunStatus(counts: { failed: number; pending: number }): 'succeeded' | 'failed' {
  return counts.failed === 0 && counts.pending === 0 ? 'succeeded' : 'failed';
}
