// A sync workspace over local directories only (no S3): the benchmark and engine tests plan and
// fold real runs with it, the same DuckDB diff and fold as sync-workspace.ts (sync-duckdb.ts), run
// in-process here.
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyncWorkspace } from '../../ports/syncs.ts';
import { foldOps, opsReader, planOps, type DuckDbLimits } from './sync-duckdb.ts';

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
