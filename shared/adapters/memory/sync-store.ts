// In-memory sync store and a counting row-op writer: the benchmark and engine tests use them to
// measure and exercise the engine without emulators. Same semantics as dynamodb/sync-store.ts
// (conditional claims and versions). The local-directory workspace: duckdb/local-sync-workspace.ts.
import type { DeliveryRecord } from '../../domain/delivery/log.ts';
import type { StoredEvent } from '../../ports/delivery.ts';
import { pageOf } from '../../ports/page.ts';
import type { RowOpWriter, StoredRun, StoredSync, SyncStore } from '../../ports/syncs.ts';

export function memorySyncStore(): SyncStore & { syncs: Map<string, StoredSync>; runs: Map<string, StoredRun> } {
  const syncs = new Map<string, StoredSync>();
  const runs = new Map<string, StoredRun>();
  const runKey = (syncId: string, runId: string) => `${syncId}/${runId}`;
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    syncs,
    runs,
    async putSync(sync) {
      if (syncs.has(sync.id)) throw new Error(`sync ${sync.id} exists`);
      syncs.set(sync.id, copy(sync));
    },
    async getSync(id) {
      const sync = syncs.get(id);
      return sync === undefined ? undefined : copy(sync);
    },
    async listSyncs() {
      return [...syncs.values()].map(copy);
    },
    async listSyncPage(page) {
      const sorted = [...syncs.values()].sort((a, b) => a.id.localeCompare(b.id));
      const after = page.after === undefined ? sorted : sorted.filter((sync) => sync.id > page.after!);
      return pageOf(after.slice(0, page.limit + 1).map(copy), page.limit, (sync) => sync.id);
    },
    async replaceSync(sync, expectedVersion) {
      const current = syncs.get(sync.id);
      if (current === undefined) return 'missing';
      if (current.version !== expectedVersion) return 'conflict';
      const { activeRunId, activeRunAtMs, lastRunStartMs } = current;
      syncs.set(sync.id, { ...copy(sync), ...(activeRunId === undefined ? {} : { activeRunId, activeRunAtMs }), ...(lastRunStartMs === undefined ? {} : { lastRunStartMs }) });
      return 'replaced';
    },
    async deleteSync(id) {
      return syncs.delete(id);
    },
    async claimRun(syncId, claim) {
      const sync = syncs.get(syncId);
      if (sync === undefined) return 'missing';
      if (sync.activeRunId !== undefined && (sync.activeRunAtMs ?? 0) >= claim.staleBeforeMs) return 'busy';
      syncs.set(syncId, { ...sync, activeRunId: claim.runId, activeRunAtMs: claim.atMs, lastRunStartMs: claim.runStartMs });
      return 'claimed';
    },
    async releaseRun(syncId, runId) {
      const sync = syncs.get(syncId);
      if (sync?.activeRunId !== runId) return false;
      const { activeRunId: _run, activeRunAtMs: _at, ...rest } = sync;
      syncs.set(syncId, rest);
      return true;
    },
    async advanceSchedule(syncId, expected, next) {
      const sync = syncs.get(syncId);
      if (sync?.nextRunAtMs !== expected) return false;
      const { nextRunAtMs: _next, ...rest } = sync;
      syncs.set(syncId, next === undefined ? rest : { ...rest, nextRunAtMs: next });
      return true;
    },
    async putRun(run, expectedVersion) {
      const key = runKey(run.syncId, run.id);
      const current = runs.get(key);
      if (expectedVersion === undefined ? current !== undefined : current?.version !== expectedVersion) return false;
      runs.set(key, copy(run));
      return true;
    },
    async getRun(syncId, runId) {
      const run = runs.get(runKey(syncId, runId));
      return run === undefined ? undefined : copy(run);
    },
    async listRuns(syncId, page) {
      const newestFirst = [...runs.values()]
        .filter((run) => run.syncId === syncId && (page.after === undefined || run.id < page.after))
        .sort((a, b) => b.id.localeCompare(a.id));
      return pageOf(newestFirst.slice(0, page.limit + 1).map(copy), page.limit, (run) => run.id);
    },
  };
}

/** Counts what would be written; keeps nothing (the benchmark's 100,000 row-ops stay out of the heap it measures). */
export function countingRowOpWriter(): RowOpWriter & { events: number; deliveries: number; bytes: number } {
  const writer = {
    events: 0,
    deliveries: 0,
    bytes: 0,
    async write(events: readonly StoredEvent[], deliveries: readonly DeliveryRecord[]) {
      writer.events += events.length;
      writer.deliveries += deliveries.length;
      for (const event of events) writer.bytes += event.dataJson.length;
    },
  };
  return writer;
}
