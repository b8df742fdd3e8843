// In-memory sync store and a local-directory workspace (no S3): the benchmark and engine tests use
// them to measure and exercise the engine without emulators. Same semantics as sync-store.ts
// (conditional claims and versions) and sync-duckdb.ts (the same DuckDB diff and fold, run in-process here).
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pageOf } from '../ports/page.ts';
import type { RowOpWriter, StoredRun, StoredSync, SyncStore, SyncWorkspace } from '../ports/sync.ts';
import type { StoredEvent } from '../ports/outbound-engine.ts';
import type { DeliveryRecord } from '../domain/outbound/delivery-log.ts';
import { foldOps, opsReader, planOps, type DuckDbLimits } from './sync-duckdb.ts';

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

/**
 * A workspace over local directories only: the lake is already at `<lakeDir>/webhooks/…`, and the
 * snapshot and row-ops stay in `rootDir` (what S3 holds in the real one).
 */
export function localSyncWorkspace(options: { lakeDir: string; rootDir: string } & DuckDbLimits): SyncWorkspace {
  const runDir = (runId: string) => join(options.rootDir, 'runs', runId);
  const snapshot = (syncId: string) => join(options.rootDir, 'snapshots', `${syncId}.parquet`);
  const exists = (path: string) => stat(path).then(() => true, () => false);
  const limits: DuckDbLimits = { memoryLimit: options.memoryLimit, threads: options.threads, tempLimit: options.tempLimit };
  const reader = opsReader(join(options.rootDir, 'runs'), limits);
  return {
    async plan(ref, definition) {
      const dir = runDir(ref.runId);
      await mkdir(dir, { recursive: true });
      const base = join(dir, 'snapshot.parquet');
      const hasSnapshot = await exists(snapshot(ref.syncId));
      if (hasSnapshot) await copyFile(snapshot(ref.syncId), base);
      return planOps({ lakeDir: options.lakeDir, workDir: dir, snapshotPath: hasSnapshot ? base : undefined, opsPath: join(dir, 'ops.parquet'), definition, ...limits });
    },
    readOps: (ref, from, to) => reader.read(join(runDir(ref.runId), 'ops.parquet'), from, to),
    close: () => reader.close(),
    async fold(ref, mode, delivered) {
      const dir = runDir(ref.runId);
      const base = join(dir, 'fold-base.parquet');
      const hasSnapshot = await exists(snapshot(ref.syncId));
      if (hasSnapshot) await copyFile(snapshot(ref.syncId), base);
      const next = join(dir, 'next.parquet');
      await foldOps({ workDir: dir, snapshotPath: hasSnapshot ? base : undefined, opsPath: join(dir, 'ops.parquet'), outPath: next, mode, delivered, ...limits });
      await mkdir(join(options.rootDir, 'snapshots'), { recursive: true });
      await copyFile(next, snapshot(ref.syncId));
    },
    async discard(ref) {
      await rm(runDir(ref.runId), { recursive: true, force: true });
    },
    async deleteSync(syncId) {
      await rm(snapshot(syncId), { force: true });
    },
  };
}
