// DuckDB for syncs: the query over the lake mirror and its diff with the snapshot (planOps), the
// row-ops reader and the fold of delivered row-ops into the next snapshot. Every instance gets the
// run's limits (memory_limit, threads, max_temp_directory_size), no extension autoload or install,
// and may touch no file outside the directories it is given (enable_external_access off), before
// its configuration is locked: a sync's SQL can read the lake and nothing else on the machine (no
// environment files, no credentials, no network), and cannot change any of this back.
// No AWS here: the planner's child process (sync-plan-process.ts) loads only this module.
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import type { Partition } from '../../domain/lake/objects.ts';
import { lakeFilesOf, webhookViewStatements, type LakeFiles } from '../../domain/lake/views.ts';
import { localLakeKeys } from './local-lake.ts';
import { lakeScope, writeSkeleton, type LakeScope } from './lake-scope.ts';
import { MAX_EVENT_DATA_BYTES } from '../../domain/delivery/queue-messages.ts';
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
import { byteSizeText, SYNC_QUERY_LIMIT_ENV, type SyncQueryLimits } from '../../domain/syncs/query-limits.ts';
import { emptyOpCounts } from '../../domain/syncs/runs.ts';
import { SyncQueryError, type PlannedRowOp, type PlanResult } from '../../ports/syncs.ts';

/** The query failed or its result cannot be synced: the run fails with this message (DuckDB's own when it is DuckDB's). */
export interface DuckDbLimits {
  /** DuckDB's memory_limit, e.g. '1GB' (it spills to disk beyond it). */
  memoryLimit?: string | undefined;
  threads?: number | undefined;
  /** DuckDB's max_temp_directory_size, e.g. '4GiB'. */
  tempLimit?: string | undefined;
}

/** DuckDB's share of a run's limits. */
export function duckDbLimitsOf(limits: SyncQueryLimits): DuckDbLimits {
  return { memoryLimit: byteSizeText(limits.duckDbMemoryBytes), threads: limits.threads, tempLimit: byteSizeText(limits.tempBytes) };
}

/** Names the setting DuckDB ran out of (its own advice, to SET memory_limit, is no use to a locked sync). */
function queryError(error: unknown, limits: DuckDbLimits): SyncQueryError {
  const message = (error as Error).message;
  if (/^Out of Memory Error/.test(message)) {
    const firstLine = message.split('\n')[0]!;
    return new SyncQueryError(
      `the sync query went past its memory bound: DuckDB's memory_limit of ${limits.memoryLimit ?? 'its default'} (${SYNC_QUERY_LIMIT_ENV.duckDbMemoryBytes}): ${firstLine}`,
    );
  }
  return error instanceof SyncQueryError ? error : new SyncQueryError(message);
}

export interface PlanInput extends DuckDbLimits {
  /** The lake mirror (`<lakeDir>/webhooks/pipeline_id=N/dt=D/*.parquet`): the only files the query may read. */
  lakeDir: string;
  /** The mirror's files the views read (lake-mirror.ts: the partitions the query reads); default every file under lakeDir (the definition's pipeline's). */
  files?: LakeFiles | undefined;
  /** The run's directory: DuckDB spills here; the snapshot and the row-ops live here. */
  workDir: string;
  snapshotPath?: string | undefined;
  opsPath: string;
  definition: { sql: string; primaryKey: string; mapping: readonly FieldMapping[]; mode: SyncMode; pipelineId?: number | undefined };
  /** Typed tables the query names (`create view pipeline_<N>` over `webhooks`, schema-views.ts). */
  views?: readonly string[] | undefined;
}

/**
 * Runs the sync's query over the lake mirror and diffs it with the snapshot inside DuckDB, writing
 * the row-ops to `opsPath`. Throws SyncQueryError with DuckDB's message when the query fails
 * (a missing primary key or mapped column included).
 */
export async function planOps(input: PlanInput): Promise<PlanResult> {
  const files = input.files ?? lakeFilesOf(input.lakeDir, await localLakeKeys(input.lakeDir, input.definition.pipelineId));
  const work = withSyncDuckDb({ allowed: [input.lakeDir, input.workDir], limits: input, spillDir: join(input.workDir, 'spill') }, async (connection) => {
    for (const statement of [...webhookViewStatements(files), ...(input.views ?? [])]) await connection.run(statement);
    const columns = await checkedQueryColumns(connection, input.definition.sql);
    const columnProblem = resultColumnsProblem(columns, input.definition);
    if (columnProblem !== undefined) throw new SyncQueryError(columnProblem);
    await runUserSql(connection, sourceStatements(input.definition));
    for (const statement of snapshotStatements(input.snapshotPath)) await connection.run(statement);
    await connection.run(opsStatement(input.definition.mode));
    await connection.run(writeOpsStatement(input.opsPath, MAX_EVENT_DATA_BYTES));
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
  // Past DuckDB's memory_limit, any statement of the plan fails the run (the data is the user's).
  return work.catch((error: unknown) => {
    throw queryError(error, input);
  });
}

export interface ScopeInput extends DuckDbLimits {
  sql: string;
  /** The lake's day partitions (the sync's pipeline's, or all). */
  partitions: Partition[];
  /** The run's directory (its disk is watched; planning spills nothing). */
  workDir: string;
  /** Where the skeleton lake is written: outside the run's directory, whose disk use is measured by walking it. */
  skeletonDir: string;
  /** Typed tables the query names, planned through like `webhooks` (PlanInput.views). */
  views?: readonly string[] | undefined;
}

/**
 * The partitions and columns a sync's query reads (lake-scope.ts), planned over a skeleton lake in
 * the run's directory by a DuckDB instance locked down to it: the query is planned, never run.
 */
export async function scopeOps(input: ScopeInput): Promise<LakeScope> {
  const dir = input.skeletonDir;
  await writeSkeleton(dir, input.partitions);
  return withSyncDuckDb({ allowed: [dir], limits: input }, (connection) => lakeScope(connection, { sql: userQueryText(input.sql), dir, partitions: input.partitions, views: input.views }));
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
    // It reads a chunk of rows at a time: nothing to spill.
    const instance = await DuckDBInstance.create(':memory:', { ...duckDbConfig(limits), temp_directory: '' });
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
        key: row.k === null ? '' : String(row.k),
        rowJson: row.row_json === null ? '' : String(row.row_json),
        ...(row.row_json === null ? { tooLarge: true } : {}),
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
  await withSyncDuckDb({ allowed: [input.workDir], limits: input, spillDir: join(input.workDir, 'spill') }, async (connection) => {
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

/** A DuckDB instance with the limits that may read and write only under `allowed`, locked down before `work` runs, closed after it. */
export async function withSyncDuckDb<T>(
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
  // Set when the instance is made, before any statement: no extension is fetched or loaded on
  // demand (the ones the lake needs, parquet and json, are built in), none from outside at all.
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
  };
  if (limits.memoryLimit !== undefined) config.memory_limit = limits.memoryLimit;
  if (limits.threads !== undefined) config.threads = String(limits.threads);
  if (limits.tempLimit !== undefined) config.max_temp_directory_size = limits.tempLimit;
  return config;
}

/** No file outside `allowed`, no extension, no network; and the settings cannot be changed back. */
async function lockDown(connection: DuckDBConnection, allowed: readonly string[]): Promise<void> {
  const dirs = allowed.map((dir) => sqlString(`${resolve(dir)}/`)).join(', ');
  await connection.run(`set allowed_directories = [${dirs}]`);
  await connection.run('set enable_external_access = false');
  await connection.run('set lock_configuration = true');
}
