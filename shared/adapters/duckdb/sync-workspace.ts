// The sync engine's query side: DuckDB over a local mirror of the lake (the same reader and views
// as `hooklake query`, lake-query.ts and domain/lake/views.ts), the run's row-ops and the sync's snapshot
// as Parquet, kept durable in the lake bucket under `syncs/`:
//
//   syncs/<sync id>/snapshot.parquet            what was last delivered (k, h, row_json)
//   syncs/<sync id>/runs/<run id>/ops.parquet   the run's row-ops (row_num, op, k, h, row_json)
//
// Locally and on AWS alike: each run works in `<root>/runs/<run id>`, and the lake objects its
// query reads are mirrored into `<root>/lake` (lake-mirror.ts; on Lambda, /tmp, kept across warm
// invocations, so only new objects are fetched). The query is first planned (never run) over a
// skeleton lake to find the day partitions and columns it reads (lake-scope.ts); only those are
// mirrored, within the mirror's bound, fetched `downloadConcurrency` at a time. The query then
// runs in a child process bounded in memory, disk and time (sync-plan-process.ts); DuckDB itself
// (sync-duckdb.ts) is limited and locked down so the query can read the lake and nothing else.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SyncQueryLimits } from '../../domain/syncs/query-limits.ts';
import { duckdbPipelineViewSql, pipelineViewsNamedIn } from '../../domain/lake/schema-views.ts';
import type { SchemaStore } from '../../ports/schema.ts';
import type { RunRef, SyncWorkspace } from '../../ports/syncs.ts';
import { listLakePartitions, LakeMirrorLimitError, mirrorLake } from './lake-mirror.ts';
import { fileSize } from './local-lake.ts';
import { SyncQueryError } from '../../ports/syncs.ts';
import { duckDbLimitsOf, foldOps, opsReader } from './sync-duckdb.ts';
import { opsObjectKey, s3SyncFiles, snapshotObjectKey } from '../s3/sync-files.ts';
import { planProcesses } from './sync-plan-process.ts';

export { SYNC_FILES_PREFIX } from '../s3/sync-files.ts';

export interface WorkspaceOptions {
  s3: S3Client;
  bucket: string;
  /** The bucket's location (e.g. the S3 endpoint): a lake mirror filled from elsewhere is reset. */
  origin?: string | undefined;
  /** Local directory: the lake mirror and the runs' files. */
  rootDir: string;
  limits: SyncQueryLimits;
  /** The module a run's query process runs (sync-plan-process.ts). */
  planEntry: string;
  /** Bytes the lake mirror may hold (default: no bound), and the setting that raises it. */
  mirrorLimitBytes?: number | undefined;
  mirrorLimitSetting?: string | undefined;
  /** Parallel downloads into the mirror (default 8). */
  downloadConcurrency?: number | undefined;
  /** Where the typed tables' schemas are kept: a query that names `pipeline_<N>` gets that view. */
  schemas?: Pick<SchemaStore, 'get'> | undefined;
}

export function duckDbSyncWorkspace(options: WorkspaceOptions): SyncWorkspace {
  const root = resolve(options.rootDir);
  const lakeDir = join(root, 'lake');
  const runDir = (ref: RunRef) => join(root, 'runs', ref.runId);
  const localOps = (ref: RunRef) => join(runDir(ref), 'ops.parquet');
  const duckDbLimits = duckDbLimitsOf(options.limits);
  const reader = opsReader(join(root, 'runs'), duckDbLimits);
  const planner = planProcesses({ entry: options.planEntry, limits: options.limits });

  async function download(key: string, path: string): Promise<boolean> {
    try {
      const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
      await pipeline(object.Body as Readable, createWriteStream(path));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return false;
      throw error;
    }
  }

  async function upload(path: string, key: string): Promise<void> {
    const { size } = await stat(path);
    await options.s3.send(
      new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: 'application/vnd.apache.parquet' }),
    );
  }

  /** The run's row-ops on local disk: fetched again when this instance did not plan the run. */
  async function ensureOps(ref: RunRef): Promise<string> {
    const path = localOps(ref);
    if ((await fileSize(path)) !== undefined) return path;
    await mkdir(runDir(ref), { recursive: true });
    if (!(await download(opsObjectKey(ref), path))) throw new Error(`the row-ops of run ${ref.runId} are missing from the bucket`);
    return path;
  }

  /** The typed views the query names, from their stored schemas (a pipeline never sampled has none: the query fails naming it). */
  async function typedViews(sql: string): Promise<string[]> {
    const schemas = options.schemas;
    if (schemas === undefined) return [];
    const stored = await Promise.all(pipelineViewsNamedIn(sql).map((pipelineId) => schemas.get(pipelineId)));
    return stored.flatMap((item) => (item === undefined ? [] : [duckdbPipelineViewSql(item.schema)]));
  }

  return {
    async plan(ref, definition) {
      const dir = runDir(ref);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const source = { s3: options.s3, bucket: options.bucket, origin: options.origin };
      const partitions = await listLakePartitions(source, definition.pipelineId);
      const skeletonDir = join(root, 'skeletons', ref.runId);
      const views = await typedViews(definition.sql);
      const scope = await planner.scope({ sql: definition.sql, partitions, workDir: dir, skeletonDir, views }).finally(() => rm(skeletonDir, { recursive: true, force: true }));
      const mirror = await mirrorLake({
        ...source,
        cacheDir: lakeDir,
        partitions: scope.partitions,
        existing: { partitions, pipelineId: definition.pipelineId },
        columns: scope.columns,
        limitBytes: options.mirrorLimitBytes,
        limitSetting: options.mirrorLimitSetting,
        concurrency: options.downloadConcurrency,
      }).catch((error: unknown) => {
        // Too much lake for the mirror's bound: the run fails, saying so (retrying would not help).
        throw error instanceof LakeMirrorLimitError ? new SyncQueryError(error.message) : error;
      });
      const snapshotPath = join(dir, 'snapshot.parquet');
      const hasSnapshot = await download(snapshotObjectKey(ref.syncId), snapshotPath);
      const result = await planner.plan({
        lakeDir,
        files: mirror.files,
        workDir: dir,
        snapshotPath: hasSnapshot ? snapshotPath : undefined,
        opsPath: localOps(ref),
        definition: { sql: definition.sql, primaryKey: definition.primaryKey, mapping: definition.mapping, mode: definition.mode, pipelineId: definition.pipelineId },
        views,
      });
      await upload(localOps(ref), opsObjectKey(ref));
      return result;
    },

    async readOps(ref, from, to) {
      const path = await ensureOps(ref);
      return reader.read(path, from, to);
    },

    async fold(ref, mode, delivered) {
      const opsPath = await ensureOps(ref);
      const dir = runDir(ref);
      const basePath = join(dir, 'snapshot-base.parquet');
      const nextPath = join(dir, 'snapshot-next.parquet');
      await rm(basePath, { force: true });
      const hasSnapshot = await download(snapshotObjectKey(ref.syncId), basePath);
      await foldOps({ workDir: dir, snapshotPath: hasSnapshot ? basePath : undefined, opsPath, outPath: nextPath, mode, delivered, ...duckDbLimits });
      await upload(nextPath, snapshotObjectKey(ref.syncId));
    },

    async discard(ref) {
      await options.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: opsObjectKey(ref) }));
      await rm(runDir(ref), { recursive: true, force: true });
    },

    close() {
      planner.close();
      reader.close();
    },

    deleteSync: (syncId) => s3SyncFiles(options.s3, options.bucket).deleteSync(syncId),
  };
}
