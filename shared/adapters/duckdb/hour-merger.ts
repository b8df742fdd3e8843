// Merges an hour group (domain/lake/compaction.ts) with DuckDB: its inputs downloaded into a
// directory of their own, then one COPY of the hour's rows, once per request id, sorted by time, to
// ZSTD Parquet with min/max statistics on every column and row groups sized for pruning (6,144
// rows, fewer when rows are large, so one row group's bodies stay a few tens of MiB). Inputs
// holding a row outside their name's time range are not the processor's: left out, and never
// removed. The SQL is Hooklake's own, so DuckDB runs in this process (limits, no extensions).
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_TYPES, WEBHOOK_COLUMNS } from '../../domain/lake/columns.ts';
import type { HourGroup } from '../../domain/lake/compaction.ts';
import { fileNameOf, objectTimeRange } from '../../domain/lake/objects.ts';
import { requestCopyRankSql } from '../../domain/lake/views.ts';
import type { HourMerger, MergedHour } from '../../ports/lake.ts';
import { downloadToFile, uploadFile } from '../s3/files.ts';

/** Where the merger gets its inputs and puts its output: the lake bucket (s3ObjectFiles), or a directory (the benchmark). */
export interface ObjectFiles {
  download(key: string, path: string): Promise<void>;
  upload(path: string, key: string): Promise<void>;
}

export function s3ObjectFiles(s3: S3Client, bucket: string): ObjectFiles {
  return {
    download: async (key, path) => void (await downloadToFile(s3, bucket, key, path)),
    upload: (path, key) => uploadFile(s3, bucket, key, path, 'application/vnd.apache.parquet'),
  };
}

export interface HourMergerOptions {
  objects: ObjectFiles;
  /** Where each merge gets a directory of its own (inputs, output, spill files), removed after it. */
  workDir: string;
  /** Bytes an hour's inputs may take; a larger hour fails with a message naming `limitSetting`. */
  maxInputBytes: number;
  /** The setting that raises maxInputBytes, for that message. */
  limitSetting?: string;
  /** Parallel input downloads. */
  downloadConcurrency: number;
  /** DuckDB's memory_limit (it spills to the merge's directory beyond it). */
  memoryLimit?: string | undefined;
  threads?: number | undefined;
}

/** Rows per row group: a time filter reads one group in seven of a 1,000,000-a-day hour. */
export const ROW_GROUP_ROWS = 6144;
/** DuckDB writes row groups in multiples of its vector (2,048 rows). */
const VECTOR_ROWS = 2048;
/** A row group's text, uncompressed, at most about this much (bodies read by row group stay bounded). */
const ROW_GROUP_TARGET_BYTES = 32 * 1024 * 1024;

const sql = (value: string) => `'${value.replaceAll("'", "''")}'`;
const secondsOfDay = (hhmmss: string) => Number(hhmmss.slice(0, 2)) * 3600 + Number(hhmmss.slice(2, 4)) * 60 + Number(hhmmss.slice(4, 6));

/** Rows per row group for rows of this average size. */
export function rowGroupRows(averageRowBytes: number): number {
  const fit = Math.floor(ROW_GROUP_TARGET_BYTES / Math.max(1, averageRowBytes) / VECTOR_ROWS) * VECTOR_ROWS;
  return Math.min(ROW_GROUP_ROWS, Math.max(VECTOR_ROWS, fit));
}

export function duckDbHourMerger(options: HourMergerOptions): HourMerger {
  return {
    async merge(group: HourGroup): Promise<MergedHour> {
      const { partition, hourStartSeconds } = group;
      const inputBytes = group.inputs.reduce((sum, input) => sum + input.size, 0);
      if (inputBytes > options.maxInputBytes) {
        throw new Error(
          `compacting pipeline ${partition.pipelineId}, ${partition.dt} hour ${String(group.hour).padStart(2, '0')} needs ${Math.ceil(inputBytes / 2 ** 20)} MiB ` +
            `of inputs on disk, over the ${Math.floor(options.maxInputBytes / 2 ** 20)} MiB allowed${options.limitSetting === undefined ? '' : ` (${options.limitSetting})`}`,
        );
      }
      const dir = join(options.workDir, `hour-${partition.pipelineId}-${partition.dt}-${group.hour}-${randomBytes(4).toString('hex')}`);
      const out = join(dir, 'out.parquet');
      const discard = () => rm(dir, { recursive: true, force: true });
      try {
        await mkdir(join(dir, 'in'), { recursive: true });
        const paths = group.inputs.map((_, index) => join(dir, 'in', `${index}.parquet`));
        let next = 0;
        const worker = async () => {
          while (next < group.inputs.length) {
            const index = next++;
            await options.objects.download(group.inputs[index]!.key, paths[index]!);
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(options.downloadConcurrency, paths.length)) }, worker));

        const dayStart = Date.parse(`${partition.dt}T00:00:00.000Z`) / 1000;
        const config: Record<string, string> = {
          autoinstall_known_extensions: 'false',
          autoload_known_extensions: 'false',
          temp_directory: join(dir, 'spill'),
        };
        if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
        if (options.threads !== undefined) config.threads = String(options.threads);
        const instance = await DuckDBInstance.create(':memory:', config);
        try {
          const connection = await instance.connect();
          try {
            const all = `[${paths.map(sql).join(', ')}]`;
            // Each input's rows must lie within its name's time range; one that does not is not ours.
            const ranges = group.inputs.map((input, index) => {
              const range = objectTimeRange(fileNameOf(input.key))!;
              return `(${sql(paths[index]!)}, ${dayStart + secondsOfDay(range.first)}, ${dayStart + secondsOfDay(range.last) + 1})`;
            });
            const strays = await connection.runAndReadAll(
              `select r.path from (values ${ranges.join(', ')}) as r(path, lo, hi) join ` +
                `(select filename, __kdd_request_unix_timestamp as ts from read_parquet(${all}, filename = true, hive_partitioning = false)) as i ` +
                `on i.filename = r.path where i.ts is null or not (i.ts >= r.lo and i.ts < r.hi) group by r.path`,
            );
            const strayPaths = new Set(strays.getRowObjectsJson().map((row) => String(row.path)));
            const skipped = group.inputs.filter((_, index) => strayPaths.has(paths[index]!)).map((input) => input.key);
            const good = paths.filter((path) => !strayPaths.has(path));
            if (good.length === 0) return { rows: 0, bytes: 0, requests: [], skipped, upload: async () => undefined, discard };

            const empty = `select ${WEBHOOK_COLUMNS.map((column) => `null::${DUCKDB_TYPES[column.type]} as ${column.name}`).join(', ')} where false`;
            const hourRows =
              `select * from (select * from read_parquet([${good.map(sql).join(', ')}], union_by_name = true, hive_partitioning = false) ` +
              `union all by name ${empty}) where __kdd_request_unix_timestamp >= ${hourStartSeconds} and __kdd_request_unix_timestamp < ${hourStartSeconds + 3600}`;
            const size = (await connection.runAndReadAll(
              `select count(*) as n, coalesce(avg(${WEBHOOK_COLUMNS.map((column) => `coalesce(strlen(${column.type === 'string' ? column.name : `${column.name}::varchar`}), 0)`).join(' + ')}), 0) as average from (${hourRows})`,
            )).getRowObjectsJson()[0]!;
            const columns = WEBHOOK_COLUMNS.map((column) => `cast(${column.name} as ${DUCKDB_TYPES[column.type]}) as ${column.name}`).join(', ');
            // The copy of a request that counts in every view (one rule); the files are one partition's.
            await connection.run(
              `copy (select ${columns} from (${hourRows}) qualify ${requestCopyRankSql(['pipeline_id', 'dt'])} = 1 ` +
                `order by __kdd_request_unix_timestamp, __kdd_request_id) ` +
                `to ${sql(out)} (format parquet, compression zstd, row_group_size ${rowGroupRows(Number(size.average))})`,
            );
            const requests = (await connection.runAndReadAll(`select __kdd_request_id as id, __kdd_request_unix_timestamp as ts from read_parquet(${sql(out)})`))
              .getRowObjectsJson()
              .map((row) => ({ id: String(row.id), ts: Number(row.ts) }));
            const bytes = (await stat(out)).size;
            return {
              rows: requests.length,
              bytes,
              requests,
              skipped,
              upload: (key) => options.objects.upload(out, key),
              discard,
            };
          } finally {
            connection.closeSync();
          }
        } finally {
          instance.closeSync();
        }
      } catch (error) {
        await discard();
        throw error;
      }
    },
  };
}
