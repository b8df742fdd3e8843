// Queries the lake with DuckDB: finds the day partitions and columns the SQL reads (lake-scope.ts),
// mirrors just those from the lake bucket into a local cache (lake-mirror.ts; DuckDB cannot load
// httpfs here), then runs the SQL over views on the cached Parquet. Used by `hooklake query`, the
// tests and the benchmarks; nothing here depends on the CLI.
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DuckDBInstance, DuckDBTypeId, type DuckDBDecimalType, type DuckDBType } from '@duckdb/node-api';
import type { JsonValue } from '../../domain/json.ts';
import { lakeFilesOf, webhookViewStatements, type LakeFiles } from '../../domain/lake/views.ts';
import { lakeScope, writeSkeleton, type LakeScope } from './lake-scope.ts';
import { listLakePartitions, mirrorLake, type MirrorResult, type MirrorSource } from './lake-mirror.ts';
import { localLakeKeys } from './local-lake.ts';
import type { PipelineSchema } from '../../domain/lake/schema.ts';
import { duckdbPipelineViewSql } from '../../domain/lake/schema-views.ts';

export { fileSize } from './local-lake.ts';

export type LakeSource = MirrorSource;

export interface SyncOptions extends LakeSource {
  cacheDir: string;
  /** Only this pipeline's objects; all pipelines when absent. */
  pipelineId?: number | undefined;
  /** Parallel downloads (default 8). */
  concurrency?: number;
  /** Bytes the cache may hold (default: no bound). */
  limitBytes?: number | undefined;
}

/** What a mirror pass did (lake-mirror.ts MirrorResult without the file list). */
export type SyncResult = Omit<MirrorResult, 'files'> & {
  /** Day partitions the query reads, of those in scope. */
  partitions: number;
  partitionsInScope: number;
  /** The Parquet columns fetched of large compacted objects ('all' when the query's plan did not say). */
  columns: string[] | 'all';
};

export type { JsonValue };

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Record<string, JsonValue>[];
}

export interface QueryCacheOptions {
  cacheDir: string;
  sql: string;
  /** Restrict the views to one pipeline. */
  pipelineId?: number | undefined;
  /** `webhooks` = every stored row (at-least-once delivery may store a request twice). */
  raw?: boolean | undefined;
  /** The files the views read (a mirror pass's); default: every file under cacheDir in scope. */
  files?: LakeFiles | undefined;
  /** Typed tables: a view `pipeline_<N>` per schema, over `webhooks` (docs/lake.md). */
  schemas?: readonly PipelineSchema[] | undefined;
}

export type QueryLakeOptions = SyncOptions & QueryCacheOptions;

/** Finds what the SQL reads, mirrors it, then queries: the one call `hooklake query` makes. */
export async function queryLake(options: QueryLakeOptions): Promise<QueryResult & { sync: SyncResult }> {
  const partitions = await listLakePartitions(options, options.pipelineId);
  const typedViews = (options.schemas ?? []).filter((schema) => options.pipelineId === undefined || schema.pipelineId === options.pipelineId).map((schema) => duckdbPipelineViewSql(schema));
  const scope = await scopeOf(options.cacheDir, options.sql, partitions, options.raw, typedViews);
  // Listed whole every time: an ad hoc query sees the bucket as it is now (a sync lists incrementally).
  const mirrored = await mirrorLake({ ...options, partitions: scope.partitions, existing: { partitions, pipelineId: options.pipelineId }, columns: scope.columns, fullListingMs: 0 });
  const { files, ...stats } = mirrored;
  const result = await queryCache({ ...options, files });
  return { ...result, sync: { ...stats, partitions: scope.partitions.length, partitionsInScope: partitions.length, columns: scope.columns } };
}

/** The partitions and columns `sql` reads, planned over a skeleton in `<cacheDir>/.scope` (in this process: the CLI runs its user's own SQL). */
export async function scopeOf(cacheDir: string, sql: string, partitions: Parameters<typeof writeSkeleton>[1], raw?: boolean, views: readonly string[] = []): Promise<LakeScope> {
  const dir = join(resolve(cacheDir), '.scope');
  await rm(dir, { recursive: true, force: true });
  try {
    await writeSkeleton(dir, partitions);
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    try {
      const connection = await instance.connect();
      try {
        return await lakeScope(connection, { sql, dir, partitions, raw, views });
      } finally {
        connection.closeSync();
      }
    } finally {
      instance.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The pipelines the lake bucket has objects of. */
export async function lakePipelineIds(source: LakeSource): Promise<number[]> {
  return [...new Set((await listLakePartitions(source)).map((partition) => partition.pipelineId))].sort((a, b) => a - b);
}

/** Mirrors every partition in scope, every column (no query to narrow it). */
export async function syncLake(options: SyncOptions): Promise<SyncResult> {
  const partitions = await listLakePartitions(options, options.pipelineId);
  const { files: _files, ...stats } = await mirrorLake({ ...options, partitions, existing: { partitions, pipelineId: options.pipelineId }, columns: 'all', fullListingMs: 0 });
  return { ...stats, partitions: partitions.length, partitionsInScope: partitions.length, columns: 'all' };
}

/** Runs SQL over the cached lake; `webhooks` (deduplicated unless `raw`) and `webhooks_raw` always exist, `pipeline_<N>` for each schema given. */
export async function queryCache(options: QueryCacheOptions): Promise<QueryResult> {
  const cacheDir = resolve(options.cacheDir);
  const files = options.files ?? lakeFilesOf(cacheDir, await localLakeKeys(cacheDir, options.pipelineId));
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      for (const statement of webhookViewStatements(files, options)) await connection.run(statement);
      for (const schema of options.schemas ?? []) {
        if (options.pipelineId === undefined || schema.pipelineId === options.pipelineId) await connection.run(duckdbPipelineViewSql(schema));
      }
      const reader = await connection.runAndReadAll(options.sql);
      const columns = reader.columnNames().map((name, index) => ({ name, type: reader.columnTypes()[index]!.toString() }));
      const types = reader.columnTypes();
      const rows = reader.getRowObjectsJson().map((row) => {
        const out: Record<string, JsonValue> = {};
        for (const [index, { name }] of columns.entries()) out[name] = jsonValue(row[name] as JsonValue, types[index]!);
        return out;
      });
      return { columns, rows };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** DuckDB's JSON conversion gives 64-bit and larger integers as strings: numbers when exact. */
function jsonValue(value: JsonValue, type: DuckDBType): JsonValue {
  if (typeof value !== 'string') return value;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const number = Number(value);
      return Number.isSafeInteger(number) ? number : value;
    }
    case DuckDBTypeId.DECIMAL:
      return (type as DuckDBDecimalType).width <= 15 ? Number(value) : value;
    default:
      return value;
  }
}

/** The pipelines that have objects in the cache (for the typed views a query may use). */
export async function cachedPipelineIds(cacheDir: string): Promise<number[]> {
  try {
    const entries = await readdir(join(resolve(cacheDir), 'webhooks'));
    return entries.map((entry) => /^pipeline_id=([1-9][0-9]*)$/.exec(entry)?.[1]).filter((id) => id !== undefined).map(Number).sort((a, b) => a - b);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
