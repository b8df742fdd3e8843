// The sync engine: what the sync function does with each sync-queue message (domain/syncs/messages.ts).
//
// - tick: every sync whose schedule is due gets a run (the fire time is taken with a conditional
//   write, so two ticks never start two runs; a sync with a run in progress skips that fire time).
// - run: plan the run once (mirror the lake, query, diff against the snapshot, store the row-ops),
//   then enqueue its row-ops chunk by chunk: each row-op is an event addressed to the sync, the
//   destination, and its delivery is planned as the fan-out plans an event's (delivery/planner.ts);
//   each chunk's events and pending deliveries are written, then their delivery jobs go to the
//   events queue, where the fan-out attempts them with its usual rules (signing, SSRF, custom
//   headers, Kommo retries and suspension, the delivery log). A chunk is
//   claimed in the run record before it is written and checkpointed after; a chunk claimed by an
//   invocation that died is resumed carefully (deliveries that exist are not written again, and
//   only those never attempted get their job again), and its ids are the same, so no row-op is sent
//   twice under two `webhook-id`s. When the invocation's time runs short, a new `run` message
//   continues from the checkpoint.
// - check: count the run's deliveries; while some are pending (retries wait up to an hour), look
//   again later; then fold the delivered row-ops into the snapshot and finish the run.
import { SYNC_ROW_EVENT_TYPE } from '../../domain/delivery/events.ts';
import { expiresAtFor, type DeliveryRecord } from '../../domain/delivery/log.ts';
import { deliveryIdPrefixAt, deliveryJob, eventDataBytes, MAX_EVENT_DATA_BYTES, serializeQueueMessage } from '../../domain/delivery/queue-messages.ts';
import { sqsDelaySeconds } from '../../domain/delivery/time-scale.ts';
import type { Clock } from '../../domain/clock.ts';
import { newRunId, rowOpEventId, rowOpOf } from '../../domain/syncs/ids.ts';
import type { SyncMessage } from '../../domain/syncs/messages.ts';
import { syncPayloadJson } from '../../domain/syncs/payload.ts';
import {
  checkDelayMs,
  DEFAULT_CHUNK_SIZE,
  DELIVERY_DEADLINE_MS,
  emptyFailedRows,
  emptyOpCounts,
  finalRunStatus,
  isFinalRunStatus,
  MAX_TRACKED_PENDING,
  RUN_CLAIM_STALE_MS,
  type SyncRunStatus,
  type SyncTrigger,
} from '../../domain/syncs/runs.ts';
import { nextFireAfter } from '../../domain/syncs/schedule.ts';
import { log } from '../../logger.ts';
import type { DeliveryStore, EventsQueue, StoredEvent } from '../../ports/delivery.ts';
import { SyncQueryError, type RowOpWriter, type RunRef, type StoredRun, type StoredSync, type SyncQueue, type SyncStore, type SyncWorkspace } from '../../ports/syncs.ts';
import { planDeliveries } from '../delivery/planner.ts';

/** Run records are kept this long (TTL). */
export const RUN_RETENTION_DAYS = 90;
/** Enqueueing stops and continues in a new message when less than this is left of the invocation. */
export const DEFAULT_RESERVE_MS = 60_000;

export interface SyncEngineDeps {
  store: SyncStore;
  rowOps: RowOpWriter;
  deliveries: DeliveryStore;
  eventsQueue: EventsQueue;
  syncQueue: SyncQueue;
  workspace: SyncWorkspace;
  /** The delivery engine's clock (scaled in the local stack's simulated time). */
  clock: Clock;
  /** How much faster `clock` runs than SQS delays (local simulated time). Default 1. */
  timeScale?: number | undefined;
  /** Deliveries and events are kept this long (the fan-out's retention). */
  retentionDays: number;
  chunkSize?: number | undefined;
  reserveMs?: number | undefined;
  /** Tests: called as a run's query starts (how many times a run is planned). */
  beforePlan?: ((ref: RunRef) => void) | undefined;
  /** Tests: called after a chunk's row-ops are enqueued, before its checkpoint (a throw there is a crash). */
  afterChunkEnqueued?: ((ref: RunRef, lastRowNum: number) => Promise<void> | void) | undefined;
}

export interface SyncEngine {
  /** Handles one sync-queue message; `remainingMs` is the invocation's time left. Throws to have it retried. */
  handle(message: SyncMessage, remainingMs: () => number): Promise<void>;
}

export type StartOutcome = { run: StoredRun } | { busy: string | undefined };

/**
 * Claims the sync's run slot and records a new run, then queues its first `run` message. The run
 * starts at least 1 ms after the previous one, so each run's deliveries are one id range.
 */
export async function startRun(
  deps: Pick<SyncEngineDeps, 'store' | 'syncQueue' | 'clock'>,
  sync: StoredSync,
  trigger: SyncTrigger,
): Promise<StartOutcome | 'missing'> {
  const now = Math.floor(deps.clock.nowMs());
  const startedAtMs = Math.max(now, (sync.lastRunStartMs ?? 0) + 1);
  const runId = newRunId(startedAtMs);
  const claim = await deps.store.claimRun(sync.id, { runId, atMs: now, runStartMs: startedAtMs, staleBeforeMs: now - RUN_CLAIM_STALE_MS });
  if (claim === 'missing') return 'missing';
  if (claim === 'busy') return { busy: (await deps.store.getSync(sync.id))?.activeRunId };
  if (sync.activeRunId !== undefined) {
    // The claim was taken over (older than RUN_CLAIM_STALE_MS): its run died without ending.
    const abandoned = await deps.store.getRun(sync.id, sync.activeRunId);
    if (abandoned !== undefined && !isFinalRunStatus(abandoned.status)) {
      await deps.store.putRun(
        {
          ...abandoned,
          status: 'failed',
          finishedAt: new Date(now).toISOString(),
          error: 'abandoned: the run stopped making progress and the next trigger took over its claim',
          version: abandoned.version + 1,
        },
        abandoned.version,
      );
    }
  }
  const run: StoredRun = {
    id: runId,
    syncId: sync.id,
    status: 'running',
    trigger,
    startedAt: new Date(startedAtMs).toISOString(),
    startedAtMs,
    rows: 0,
    counts: emptyOpCounts(),
    failedRows: emptyFailedRows(),
    delivered: 0,
    failed: 0,
    pending: 0,
    totalOps: 0,
    nextRowNum: 1,
    chunkStarted: false,
    planned: false,
    checks: 0,
    version: 1,
    expiresAt: expiresAtFor(now, RUN_RETENTION_DAYS),
  };
  try {
    await deps.store.putRun(run, undefined);
    await deps.syncQueue.send([{ message: { v: 1, kind: 'run', syncId: sync.id, runId } }]);
  } catch (error) {
    await deps.store.releaseRun(sync.id, runId).catch(() => undefined);
    throw error;
  }
  return { run };
}

const refOf = (run: StoredRun): RunRef => ({ syncId: run.syncId, runId: run.id });

export function createSyncEngine(deps: SyncEngineDeps): SyncEngine {
  const chunkSize = deps.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const reserveMs = deps.reserveMs ?? DEFAULT_RESERVE_MS;
  const scale = deps.timeScale ?? 1;
  const now = () => Math.floor(deps.clock.nowMs());

  async function tick(): Promise<void> {
    const at = now();
    for (const sync of await deps.store.listSyncs()) {
      if (!sync.enabled || sync.schedule.kind === 'manual' || sync.nextRunAtMs === undefined || sync.nextRunAtMs > at) continue;
      const next = nextFireAfter(sync.schedule, at, sync.scheduleAnchorMs);
      if (!(await deps.store.advanceSchedule(sync.id, sync.nextRunAtMs, next))) continue; // another tick took this fire time
      const outcome = await startRun(deps, sync, 'schedule');
      if (outcome !== 'missing' && 'busy' in outcome) {
        log.info('scheduled sync run skipped: a run is in progress', { syncId: sync.id, activeRunId: outcome.busy });
      }
    }
  }

  async function save(run: StoredRun, changes: Partial<StoredRun>): Promise<StoredRun | undefined> {
    const next: StoredRun = { ...run, ...changes, version: run.version + 1 };
    return (await deps.store.putRun(next, run.version)) ? next : undefined;
  }

  async function finish(run: StoredRun, status: SyncRunStatus, changes: Partial<StoredRun>, options: { discard: boolean }): Promise<void> {
    const done = await save(run, { ...changes, status, finishedAt: new Date(now()).toISOString(), trackedPending: undefined, chunkStarted: false });
    if (done === undefined) return; // another invocation moved the run on
    await deps.store.releaseRun(run.syncId, run.id);
    if (options.discard) await deps.workspace.discard(refOf(run)).catch((error: unknown) => log.warn('sync run files not removed', { runId: run.id, error }));
  }

  /** The run and its sync, or undefined when there is nothing (more) to do for the message. */
  async function load(ref: RunRef, expected: SyncRunStatus): Promise<{ run: StoredRun; sync: StoredSync } | undefined> {
    const run = await deps.store.getRun(ref.syncId, ref.runId);
    if (run === undefined) return undefined;
    if (isFinalRunStatus(run.status)) {
      await deps.store.releaseRun(run.syncId, run.id); // a finish that died before its release
      return undefined;
    }
    if (run.status !== expected) return undefined;
    const sync = await deps.store.getSync(ref.syncId);
    if (sync === undefined || sync.activeRunId !== run.id) {
      await finish(run, 'failed', { error: sync === undefined ? 'the sync was deleted' : 'the run lost its claim on the sync' }, { discard: true });
      if (sync === undefined) await deps.workspace.deleteSync(ref.syncId).catch(() => undefined);
      return undefined;
    }
    return { run, sync };
  }

  async function handleRun(ref: RunRef, remainingMs: () => number): Promise<void> {
    const loaded = await load(ref, 'running');
    if (loaded === undefined) return;
    let { run } = loaded;
    const { sync } = loaded;
    if (!run.planned) {
      let plan;
      deps.beforePlan?.(ref);
      try {
        plan = await deps.workspace.plan(ref, sync);
      } catch (error) {
        if (!(error instanceof SyncQueryError)) throw error;
        await finish(run, 'failed', { error: (error as Error).message }, { discard: true });
        return;
      }
      const planned = await save(run, {
        planned: true,
        rows: plan.rows,
        counts: plan.counts,
        failedRows: { ...emptyFailedRows(), ...plan.failedRows },
        totalOps: plan.totalOps,
        nextRowNum: 1,
      });
      if (planned === undefined) return;
      run = planned;
    }
    // At least one chunk per invocation, so a run always progresses however short the invocation.
    for (let chunks = 0; run.nextRowNum <= run.totalOps; chunks++) {
      if (chunks > 0 && remainingMs() < reserveMs) {
        await deps.syncQueue.send([{ message: { v: 1, kind: 'run', syncId: run.syncId, runId: run.id } }]);
        return;
      }
      const from = run.nextRowNum;
      const to = Math.min(run.totalOps, from + chunkSize - 1);
      const resumed = run.chunkStarted;
      const claimed = await save(run, { chunkStarted: true });
      if (claimed === undefined) return; // another invocation is on this run
      const tooLarge = await enqueueChunk(sync, claimed, from, to, resumed);
      await deps.afterChunkEnqueued?.(ref, to);
      const checkpoint = await save(claimed, {
        nextRowNum: to + 1,
        chunkStarted: false,
        failedRows: { ...claimed.failedRows, payload_too_large: claimed.failedRows.payload_too_large + tooLarge },
      });
      if (checkpoint === undefined) return;
      run = checkpoint;
    }
    const enqueued = run.totalOps - run.failedRows.payload_too_large;
    if (enqueued === 0) {
      await finish(run, finalRunStatus({ failed: 0, pending: 0 }), { enqueuedAt: new Date(now()).toISOString() }, { discard: true });
      return;
    }
    const at = now();
    const delivering = await save(run, { status: 'delivering', enqueuedAt: new Date(at).toISOString(), deadlineMs: at + DELIVERY_DEADLINE_MS, pending: enqueued });
    if (delivering === undefined) return;
    await scheduleCheck(delivering, at);
  }

  async function scheduleCheck(run: StoredRun, at: number): Promise<void> {
    await deps.syncQueue.send([
      { message: { v: 1, kind: 'check', syncId: run.syncId, runId: run.id }, delaySeconds: sqsDelaySeconds(at + checkDelayMs(run.checks), at, scale) },
    ]);
  }

  /** Enqueues row-ops from..to; returns how many were too large to send. */
  async function enqueueChunk(sync: StoredSync, run: StoredRun, from: number, to: number, resumed: boolean): Promise<number> {
    const ops = await deps.workspace.readOps(refOf(run), from, to);
    const at = now();
    let tooLarge = 0;
    const events: StoredEvent[] = [];
    for (const op of ops) {
      if (op.tooLarge === true) {
        tooLarge++;
        continue;
      }
      const dataJson = syncPayloadJson({ rowJson: op.rowJson, rowNum: op.rowNum, op: op.op, mode: sync.mode });
      if (eventDataBytes(dataJson) > MAX_EVENT_DATA_BYTES) {
        tooLarge++;
        continue;
      }
      const eventId = rowOpEventId({ syncId: sync.id, runId: run.id, key: op.key, op: op.op, rowNum: op.rowNum });
      events.push({ id: eventId, type: SYNC_ROW_EVENT_TYPE, timestamp: run.startedAtMs, dataJson, expiresAt: expiresAtFor(at, deps.retentionDays) });
    }
    // A resumed chunk was begun by an invocation that died: keep what it wrote. A delivery never
    // attempted may still lack its job (it died between the write and the send): queue that one
    // again (same ids; the fan-out runs a job only while the delivery has exactly the attempts it names).
    const plan = await planDeliveries(
      deps.deliveries,
      events.map((event) => ({ event, destination: sync })),
      { now: at, retentionDays: deps.retentionDays, checkRecorded: resumed },
    );
    const toQueue = [...plan.fresh.map((p) => p.record), ...plan.recorded.filter((record) => record.status === 'pending' && record.attemptCount === 0)];
    // Written before their jobs are queued: a job never arrives before its delivery.
    await deps.rowOps.write(
      plan.fresh.map((p) => p.event),
      plan.fresh.map((p) => p.record),
    );
    await deps.eventsQueue.send(toQueue.map((record) => ({ body: serializeQueueMessage(deliveryJob(record, at)) })));
    return tooLarge;
  }

  /** Every delivery of the run, page by page (its ids are one key range: the run's start time). */
  async function* runDeliveries(run: StoredRun): AsyncGenerator<DeliveryRecord[]> {
    const prefix = deliveryIdPrefixAt(run.startedAtMs);
    let afterId: string | undefined;
    for (;;) {
      const page = await deps.deliveries.list(run.syncId, {
        fromId: prefix,
        toId: `${prefix}~`,
        limit: 1000,
        afterId,
        descending: false,
        now: now(),
      });
      if (page.length > 0) yield page;
      if (page.length < 1000) return;
      afterId = page.at(-1)!.id;
    }
  }

  interface Tally {
    delivered: number;
    failed: number;
    pending: number;
    pendingIds: string[];
  }

  function count(tally: Tally, record: DeliveryRecord): void {
    if (record.status === 'succeeded') tally.delivered++;
    else if (record.status === 'failed') tally.failed++;
    else {
      tally.pending++;
      if (tally.pendingIds.length <= MAX_TRACKED_PENDING) tally.pendingIds.push(record.id);
    }
  }

  async function handleCheck(ref: RunRef): Promise<void> {
    const loaded = await load(ref, 'delivering');
    if (loaded === undefined) return;
    const { run, sync } = loaded;
    const at = now();
    const tally: Tally = { delivered: 0, failed: 0, pending: 0, pendingIds: [] };
    if (run.trackedPending !== undefined && run.settled !== undefined) {
      // Final is final: only the deliveries pending at the last check are read again.
      tally.delivered = run.settled.delivered;
      tally.failed = run.settled.failed;
      const records = await deps.deliveries.getMany(run.trackedPending.map((deliveryId) => ({ destinationId: run.syncId, deliveryId })));
      for (const record of records) count(tally, record);
      tally.pending += run.trackedPending.length - records.length; // not readable: not known to be final
    } else {
      for await (const page of runDeliveries(run)) for (const record of page) count(tally, record);
    }
    if (tally.pending > 0 && at < (run.deadlineMs ?? Infinity)) {
      const tracked = tally.pendingIds.length <= MAX_TRACKED_PENDING ? tally.pendingIds : undefined;
      const next = await save(run, {
        delivered: tally.delivered,
        failed: tally.failed,
        pending: tally.pending,
        checks: run.checks + 1,
        settled: tracked === undefined ? undefined : { delivered: tally.delivered, failed: tally.failed },
        trackedPending: tracked,
      });
      if (next !== undefined) await scheduleCheck(next, at);
      return;
    }
    // Done (or out of time): fold exactly the deliveries this pass finds succeeded.
    const final: Tally = { delivered: 0, failed: 0, pending: 0, pendingIds: [] };
    const delivered = async function* () {
      for await (const page of runDeliveries(run)) {
        const rowNums: number[] = [];
        for (const record of page) {
          count(final, record);
          const rowOp = rowOpOf(record.eventId);
          if (record.status === 'succeeded' && rowOp !== undefined) rowNums.push(rowOp.rowNum);
        }
        yield rowNums;
      }
    };
    await deps.workspace.fold(refOf(run), sync.mode, delivered());
    const status = finalRunStatus(final);
    const enqueued = final.delivered + final.failed + final.pending;
    const error =
      status === 'succeeded'
        ? undefined
        : final.pending > 0
          ? `${final.pending} of ${enqueued} deliveries were still pending at the run's deadline; their rows are sent again next run`
          : `${final.failed} of ${enqueued} deliveries failed; their rows are sent again next run`;
    await finish(run, status, { delivered: final.delivered, failed: final.failed, pending: final.pending, ...(error === undefined ? {} : { error }) }, { discard: true });
  }

  return {
    async handle(message, remainingMs) {
      if (message.kind === 'tick') return tick();
      if (message.kind === 'run') return handleRun(message, remainingMs);
      return handleCheck(message);
    },
  };
}
