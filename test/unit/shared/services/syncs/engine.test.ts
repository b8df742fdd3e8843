// The sync engine over in-memory ports and a fake workspace (no DuckDB, no emulators): ticks,
// run claims, continuation of a long run, completion checks and what a finished run leaves.
import { describe, expect, it } from 'vitest';
import { memoryDeliveryStore } from '../../../../../shared/adapters/memory/delivery-store.ts';
import { memorySyncStore } from '../../../../../shared/adapters/memory/sync-store.ts';
import type { Clock } from '../../../../../shared/domain/clock.ts';
import { parseQueueMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';
import { rowOpOf } from '../../../../../shared/domain/syncs/ids.ts';
import type { SyncMessage } from '../../../../../shared/domain/syncs/messages.ts';
import { RUN_CLAIM_STALE_MS } from '../../../../../shared/domain/syncs/runs.ts';
import type { PlannedRowOp, StoredSync, SyncWorkspace } from '../../../../../shared/ports/syncs.ts';
import { createSyncEngine, startRun } from '../../../../../shared/services/syncs/engine.ts';

function world(options: { rowOps?: number; chunkSize?: number } = {}) {
  let now = Date.UTC(2026, 10, 30, 10, 0, 0);
  const clock: Clock = { nowMs: () => now };
  const store = memorySyncStore();
  const deliveries = memoryDeliveryStore();
  const syncMessages: { message: SyncMessage; delaySeconds?: number | undefined }[] = [];
  const jobs: string[] = [];
  const folded: number[][] = [];
  const total = options.rowOps ?? 5;
  const ops: PlannedRowOp[] = Array.from({ length: total }, (_, i) => ({ rowNum: i + 1, op: 'upsert', key: String(i + 1), rowJson: `{"id":${i + 1}}` }));
  const workspace: SyncWorkspace = {
    plan: async () => ({ rows: total, counts: { upsert: total, append: 0, create: 0, delete: 0 }, failedRows: { null_primary_key: 0, duplicate_primary_key: 0 }, totalOps: total }),
    readOps: async (_ref, from, to) => ops.filter((op) => op.rowNum >= from && op.rowNum <= to),
    fold: async (_ref, _mode, delivered) => {
      const all: number[] = [];
      for await (const page of delivered) all.push(...page);
      folded.push(all.sort((a, b) => a - b));
    },
    discard: async () => undefined,
    deleteSync: async () => undefined,
  };
  const deps = {
    store,
    rowOps: { write: async (_events: unknown, records: readonly import('../../../../../shared/domain/delivery/log.ts').DeliveryRecord[]) => void (await Promise.all(records.map((r) => deliveries.create(r)))) },
    deliveries,
    eventsQueue: { send: async (entries: readonly { body: string }[]) => void jobs.push(...entries.map((e) => e.body)) },
    syncQueue: { send: async (entries: readonly { message: SyncMessage; delaySeconds?: number | undefined }[]) => void syncMessages.push(...entries) },
    workspace,
    clock,
    retentionDays: 30,
    chunkSize: options.chunkSize ?? 2,
  };
  const sync: StoredSync = {
    id: 'syn_0123456789abcdef0123',
    name: 'crm',
    sql: 'select 1',
    primaryKey: 'id',
    mode: 'upsert',
    mapping: [],
    webhookUrl: 'https://crm.example/hook',
    webhookHttpMethod: 'POST',
    format: 'json',
    headerNames: [],
    secretCiphertext: 'x',
    schedule: { kind: 'every', minutes: 15 },
    scheduleAnchorMs: now,
    nextRunAtMs: now + 15 * 60_000,
    enabled: true,
    createdAt: new Date(now).toISOString(),
    updatedAt: new Date(now).toISOString(),
    version: 1,
  };
  return {
    deps,
    store,
    deliveries,
    sync,
    jobs,
    folded,
    syncMessages,
    engine: createSyncEngine(deps),
    advance: (ms: number) => void (now += ms),
    now: () => now,
    /** Settles every delivery of the sync with `status`. */
    settle: async (status: (rowNum: number) => 'succeeded' | 'failed' | 'pending') => {
      for (const record of deliveries.items.values()) {
        deliveries.items.set(`${record.destinationId}\n${record.id}`, { ...record, status: status(rowOpOf(record.eventId)!.rowNum), attemptCount: 1 });
      }
    },
  };
}

describe('ticks', () => {
  it('start a run when the schedule is due, once per fire time, and skip it while a run holds the claim', async () => {
    const w = world();
    await w.store.putSync(w.sync);
    await w.engine.handle({ v: 1, kind: 'tick' }, () => 60_000);
    expect(w.store.runs.size).toBe(0); // not due yet
    w.advance(15 * 60_000);
    await Promise.all([w.engine.handle({ v: 1, kind: 'tick' }, () => 60_000), w.engine.handle({ v: 1, kind: 'tick' }, () => 60_000)]);
    expect(w.store.runs.size).toBe(1);
    expect((await w.store.getSync(w.sync.id))?.nextRunAtMs).toBe(w.now() + 15 * 60_000);
    w.advance(15 * 60_000);
    await w.engine.handle({ v: 1, kind: 'tick' }, () => 60_000);
    expect(w.store.runs.size).toBe(1); // the first run still holds the claim: this fire time is skipped
    expect((await w.store.getSync(w.sync.id))?.nextRunAtMs).toBe(w.now() + 15 * 60_000);
  });

  it('never start a disabled or manual sync', async () => {
    const w = world();
    w.advance(60 * 60_000);
    await w.store.putSync({ ...w.sync, enabled: false });
    await w.store.putSync({ ...w.sync, id: 'syn_0123456789abcdef0124', schedule: { kind: 'manual' } });
    await w.engine.handle({ v: 1, kind: 'tick' }, () => 60_000);
    expect(w.store.runs.size).toBe(0);
  });
});

describe('runs', () => {
  it('a long run continues in a new message from its checkpoint when the invocation runs short, one chunk at least each time', async () => {
    const w = world({ rowOps: 5, chunkSize: 2 });
    await w.store.putSync(w.sync);
    const outcome = await startRun(w.deps, w.sync, 'manual');
    if (outcome === 'missing' || 'busy' in outcome) throw new Error('not started');
    const message = { v: 1, kind: 'run', syncId: w.sync.id, runId: outcome.run.id } as const;
    await w.engine.handle(message, () => 1_000); // less than the reserve: one chunk, then continue
    let run = (await w.store.getRun(w.sync.id, outcome.run.id))!;
    expect(run).toMatchObject({ status: 'running', nextRowNum: 3, chunkStarted: false });
    expect(w.syncMessages.at(-1)).toEqual({ message });
    expect(w.jobs).toHaveLength(2);
    await w.engine.handle(message, () => 600_000);
    run = (await w.store.getRun(w.sync.id, outcome.run.id))!;
    expect(run).toMatchObject({ status: 'delivering', nextRowNum: 6, pending: 5 });
    expect(w.jobs.map((body) => parseQueueMessage(body))).toHaveLength(5);
    expect(w.syncMessages.at(-1)?.message.kind).toBe('check');
  });

  it('a check waits while deliveries are pending, then folds exactly the succeeded row-ops and releases the claim', async () => {
    const w = world({ rowOps: 4 });
    await w.store.putSync(w.sync);
    const outcome = await startRun(w.deps, w.sync, 'manual');
    if (outcome === 'missing' || 'busy' in outcome) throw new Error('not started');
    const ref = { syncId: w.sync.id, runId: outcome.run.id };
    await w.engine.handle({ v: 1, kind: 'run', ...ref }, () => 600_000);
    await w.settle((rowNum) => (rowNum === 2 ? 'pending' : rowNum === 3 ? 'failed' : 'succeeded'));
    await w.engine.handle({ v: 1, kind: 'check', ...ref }, () => 600_000);
    expect(await w.store.getRun(ref.syncId, ref.runId)).toMatchObject({ status: 'delivering', delivered: 2, failed: 1, pending: 1, checks: 1 });
    expect((await w.store.getRun(ref.syncId, ref.runId))!.trackedPending).toHaveLength(1);
    expect(w.folded).toEqual([]);
    await w.settle((rowNum) => (rowNum === 3 ? 'failed' : 'succeeded'));
    await w.engine.handle({ v: 1, kind: 'check', ...ref }, () => 600_000);
    const done = (await w.store.getRun(ref.syncId, ref.runId))!;
    expect(done).toMatchObject({ status: 'failed', delivered: 3, failed: 1, pending: 0, error: '1 of 4 deliveries failed; their rows are sent again next run' });
    expect(w.folded).toEqual([[1, 2, 4]]);
    expect((await w.store.getSync(w.sync.id))?.activeRunId).toBeUndefined();
    // A duplicate check of a finished run changes nothing.
    await w.engine.handle({ v: 1, kind: 'check', ...ref }, () => 600_000);
    expect(w.folded).toHaveLength(1);
  });

  it('a claim left by a run that stopped making progress is taken over after 6 hours, and that run ends failed', async () => {
    const w = world();
    await w.store.putSync(w.sync);
    const first = await startRun(w.deps, w.sync, 'manual');
    if (first === 'missing' || 'busy' in first) throw new Error('not started');
    expect(await startRun(w.deps, (await w.store.getSync(w.sync.id))!, 'manual')).toEqual({ busy: first.run.id });
    w.advance(RUN_CLAIM_STALE_MS + 1);
    const second = await startRun(w.deps, (await w.store.getSync(w.sync.id))!, 'manual');
    if (second === 'missing' || 'busy' in second) throw new Error('not taken over');
    expect((await w.store.getRun(w.sync.id, first.run.id))?.status).toBe('failed');
    expect((await w.store.getSync(w.sync.id))?.activeRunId).toBe(second.run.id);
    expect(second.run.startedAtMs).toBeGreaterThan(first.run.startedAtMs);
  });
});
