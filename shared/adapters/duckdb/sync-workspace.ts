// The sync engine's query side: DuckDB over a local mirror of the lake (the same reader and views
// as `hooklake query`, lake-query.ts and domain/lake/views.ts), the run's row-ops and the sync's snapshot
// as Parquet, kept durable in the lake bucket under `syncs/`:
//
//   syncs/<sync id>/snapshot.parquet            what was last delivered (k, h, row_json)
//   syncs/<sync id>/runs/<run id>/ops.parquet   the run's row-ops (row_num, op, k, h, row_json)
//
// Locally and on AWS alike: the lake objects are mirrored into `<root>/lake` (on Lambda, /tmp,
// kept across warm invocations, so only new objects are fetched), and each run works in
// `<root>/runs/<run id>`. DuckDB gets a memory limit, spills to the run's directory, and may touch
// no file outside the lake mirror and that directory (enable_external_access off, configuration
// locked), so a sync's SQL can read the lake and nothing else on the machine (no environment
// files, no credentials, no network).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { WEBHOOKS_OBJECT_KEY, webhookViewStatements } from '../../domain/lake/views.ts';
import { resultColumnsProblem, type FieldMapping, type SyncMode, type SyncOp } from '../../domain/syncs/definition.ts';
import {
  foldStatement,
  opsStatement,
  readOpsQuery,
  snapshotStatements,
  sourceStatements,
  sqlString,
  userQueryText,
  writeOpsStatement,
} from '../../domain/syncs/diff-sql.ts';
import { emptyOpCounts } from '../../domain/syncs/runs.ts';
import { SyncQueryError, type PlannedRowOp, type PlanResult, type RunRef, type SyncWorkspace } from '../../ports/syncs.ts';
import { fileSize, syncLake } from './lake-query.ts';
import { opsObjectKey, s3SyncFiles, snapshotObjectKey } from '../s3/sync-files.ts';

export { SYNC_FILES_PREFIX } from '../s3/sync-files.ts';


export interface DuckDbLimits {
  /** DuckDB's memory_limit, e.g. '1GB' (it spills to disk beyond it). */
  memoryLimit?: string | undefined;
  threads?: number | undefined;
}

export interface WorkspaceOptions extends DuckDbLimits {
  s3: S3Client;
  bucket: string;
  /** The bucket's location (e.g. the S3 endpoint): a lake mirror filled from elsewhere is reset. */
  origin?: string | undefined;
  /** Local directory: the lake mirror and the runs' files. */
  rootDir: string;
}

export function duckDbSyncWorkspace(options: WorkspaceOptions): SyncWorkspace {
  const root = resolve(options.rootDir);
  const lakeDir = join(root, 'lake');
  const runDir = (ref: RunRef) => join(root, 'runs', ref.runId);
  const localOps = (ref: RunRef) => join(runDir(ref), 'ops.parquet');
  const reader = opsReader(join(root, 'runs'), options);

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

  return {
    async plan(ref, definition) {
      await syncLake({ s3: options.s3, bucket: options.bucket, origin: options.origin, cacheDir: lakeDir, pipelineId: definition.pipelineId });
      const dir = runDir(ref);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const snapshotPath = join(dir, 'snapshot.parquet');
      const hasSnapshot = await download(snapshotObjectKey(ref.syncId), snapshotPath);
      const result = await planOps({
        lakeDir,
        workDir: dir,
        snapshotPath: hasSnapshot ? snapshotPath : undefined,
        opsPath: localOps(ref),
        definition,
        memoryLimit: options.memoryLimit,
        threads: options.threads,
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
      await foldOps({ workDir: dir, snapshotPath: hasSnapshot ? basePath : undefined, opsPath, outPath: nextPath, mode, delivered, ...options });
      await upload(nextPath, snapshotObjectKey(ref.syncId));
    },

    async discard(ref) {
      await options.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: opsObjectKey(ref) }));
      await rm(runDir(ref), { recursive: true, force: true });
    },

    close() {
      reader.close();
    },

    deleteSync: (syncId) => s3SyncFiles(options.s3, options.bucket).deleteSync(syncId),
  };
}

export interface PlanInput extends DuckDbLimits {
  /** The lake mirror (`<lakeDir>/webhooks/pipeline_id=N/dt=D/*.parquet`). */
  lakeDir: string;
  /** The run's directory: DuckDB spills here; the snapshot and the row-ops live here. */
  workDir: string;
  snapshotPath?: string | undefined;
  opsPath: string;
  definition: { sql: string; primaryKey: string; mapping: readonly FieldMapping[]; mode: SyncMode; pipelineId?: number | undefined };
}

/**
 * Runs the sync's query over the lake mirror and diffs it with the snapshot inside DuckDB, writing
 * the row-ops to `opsPath`. Throws SyncQueryError with DuckDB's message when the query fails
 * (a missing primary key or mapped column included).
 */
export async function planOps(input: PlanInput): Promise<PlanResult> {
  const pipelineId = input.definition.pipelineId;
  const hasLake = await hasLakeObjects(input.lakeDir, pipelineId);
  return withDuckDb({ allowed: [input.lakeDir, input.workDir], limits: input, spillDir: join(input.workDir, 'spill') }, async (connection) => {
    const glob = hasLake ? join(input.lakeDir, 'webhooks', pipelineId === undefined ? 'pipeline_id=*' : `pipeline_id=${pipelineId}`, 'dt=*', '*.parquet') : undefined;
    for (const statement of webhookViewStatements(glob)) await connection.run(statement);
    const columns = await checkedQueryColumns(connection, input.definition.sql);
    const columnProblem = resultColumnsProblem(columns, input.definition);
    if (columnProblem !== undefined) throw new SyncQueryError(columnProblem);
    await runUserSql(connection, sourceStatements(input.definition));
    for (const statement of snapshotStatements(input.snapshotPath)) await connection.run(statement);
    await connection.run(opsStatement(input.definition.mode));
    await connection.run(writeOpsStatement(input.opsPath));
    const counts = emptyOpCounts();
    for (const row of (await connection.runAndReadAll('select op, count(*) as n from hl_ops group by op')).getRowObjectsJson()) {
      counts[row.op as SyncOp] = Number(row.n);
    }
    const summary = (
      await connection.runAndReadAll(
        `select count(*) as rows_total, count(*) filter (where problem = 'null_primary_key') as null_keys, ` +
          `count(*) filter (where problem = 'duplicate_primary_key') as duplicate_keys from hl_checked`,
      )
    ).getRowObjectsJson()[0]!;
    const totalOps = Object.values(counts).reduce((sum, count) => sum + count, 0);
    return {
      rows: Number(summary.rows_total),
      counts,
      failedRows: { null_primary_key: Number(summary.null_keys), duplicate_primary_key: Number(summary.duplicate_keys) },
      totalOps,
    };
  });
}

/** Row-ops `from`..`to` (inclusive) of a row-ops file, in order. */
export async function readOpsFile(opsPath: string, from: number, to: number, limits: DuckDbLimits = {}): Promise<PlannedRowOp[]> {
  const reader = opsReader(dirname(opsPath), limits);
  try {
    return await reader.read(opsPath, from, to);
  } finally {
    reader.close();
  }
}

export interface OpsReader {
  read(opsPath: string, from: number, to: number): Promise<PlannedRowOp[]>;
  close(): void;
}

/**
 * Reads row-ops files under `allowedDir` with one DuckDB instance kept open (opening one per chunk
 * cost ~50 ms, five times the read itself).
 */
export function opsReader(allowedDir: string, limits: DuckDbLimits = {}): OpsReader {
  let opened: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  const open = async () => {
    const instance = await DuckDBInstance.create(':memory:', duckDbConfig(limits));
    const connection = await instance.connect();
    await lockDown(connection, [allowedDir]);
    return { instance, connection };
  };
  return {
    async read(opsPath, from, to) {
      opened ??= open();
      const { connection } = await opened.catch((error: unknown) => {
        opened = undefined;
        throw error;
      });
      const reader = await connection.runAndReadAll(readOpsQuery(opsPath, from, to));
      return reader.getRowObjectsJson().map((row) => ({
        rowNum: Number(row.row_num),
        op: row.op as SyncOp,
        key: String(row.k),
        rowJson: String(row.row_json),
      }));
    },
    close() {
      const current = opened;
      opened = undefined;
      void current?.then(({ instance, connection }) => {
        connection.closeSync();
        instance.closeSync();
      }).catch(() => undefined);
    },
  };
}

/**
 * Writes the next snapshot to `outPath`: the current one (`snapshotPath`, none before the first
 * fold) with the delivered row-ops (by number, in pages) applied. All files lie under `workDir`.
 */
export async function foldOps(input: {
  workDir: string;
  snapshotPath?: string | undefined;
  opsPath: string;
  outPath: string;
  mode: SyncMode;
  delivered: AsyncIterable<readonly number[]>;
} & DuckDbLimits): Promise<void> {
  await withDuckDb({ allowed: [input.workDir], limits: input }, async (connection) => {
    for (const statement of snapshotStatements(input.snapshotPath)) await connection.run(statement);
    await connection.run('create temp table hl_delivered (row_num bigint)');
    const appender = await connection.createAppender('hl_delivered');
    try {
      for await (const page of input.delivered) {
        for (const rowNum of page) {
          appender.appendBigInt(BigInt(rowNum));
          appender.endRow();
        }
        appender.flushSync();
      }
    } finally {
      appender.closeSync();
    }
    await connection.run(foldStatement(input.mode, input.opsPath, input.outPath));
  });
}

/** The query must be one SELECT; returns its result's column names (DuckDB binds it, so a bad query fails here). */
async function checkedQueryColumns(connection: DuckDBConnection, sql: string): Promise<string[]> {
  let extracted;
  try {
    extracted = await connection.extractStatements(userQueryText(sql));
  } catch (error) {
    throw new SyncQueryError((error as Error).message);
  }
  if (extracted.count !== 1) throw new SyncQueryError(`the sync query must be one SELECT statement, not ${extracted.count}`);
  let prepared;
  try {
    prepared = await extracted.prepare(0);
  } catch (error) {
    throw new SyncQueryError((error as Error).message);
  }
  try {
    if (prepared.statementType !== StatementType.SELECT) throw new SyncQueryError('the sync query must be a SELECT statement');
    return Array.from({ length: prepared.columnCount }, (_, index) => prepared.columnName(index));
  } finally {
    prepared.destroySync();
  }
}

async function runUserSql(connection: DuckDBConnection, statements: readonly string[]): Promise<void> {
  for (const statement of statements) {
    try {
      await connection.run(statement);
    } catch (error) {
      throw new SyncQueryError((error as Error).message);
    }
  }
}

/** A DuckDB instance that may read and write only under `allowed`, closed after `work`. */
async function withDuckDb<T>(
  setup: { allowed: readonly string[]; limits: DuckDbLimits; spillDir?: string },
  work: (connection: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const config = duckDbConfig(setup.limits);
  if (setup.spillDir !== undefined) config.temp_directory = setup.spillDir;
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    const connection = await instance.connect();
    try {
      await lockDown(connection, setup.allowed);
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

function duckDbConfig(limits: DuckDbLimits): Record<string, string> {
  const config: Record<string, string> = {};
  if (limits.memoryLimit !== undefined) config.memory_limit = limits.memoryLimit;
  if (limits.threads !== undefined) config.threads = String(limits.threads);
  return config;
}

/** No file outside `allowed`, no extension, no network; and the settings cannot be changed back. */
async function lockDown(connection: DuckDBConnection, allowed: readonly string[]): Promise<void> {
  const dirs = allowed.map((dir) => sqlString(`${resolve(dir)}/`)).join(', ');
  await connection.run(`set allowed_directories = [${dirs}]`);
  await connection.run('set enable_external_access = false');
  await connection.run('set lock_configuration = true');
}

async function hasLakeObjects(lakeDir: string, pipelineId: number | undefined): Promise<boolean> {
  const scope = pipelineId === undefined ? 'webhooks' : `webhooks/pipeline_id=${pipelineId}`;
  try {
    const entries = await readdir(join(lakeDir, ...scope.split('/')), { recursive: true });
    return entries.some((entry) => WEBHOOKS_OBJECT_KEY.test(`${scope}/${entry.split('\\').join('/')}`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
