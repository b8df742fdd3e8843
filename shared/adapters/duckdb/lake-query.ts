// Queries the lake with DuckDB: mirrors the needed `webhooks/` objects from the lake bucket into a
// local cache (DuckDB cannot load httpfs here), then runs SQL over views on the cached Parquet.
// Used by `hooklake query`, the tests and the benchmarks; nothing here depends on the CLI.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, DuckDBTypeId, type DuckDBDecimalType, type DuckDBType } from '@duckdb/node-api';
import type { JsonValue } from '../../domain/json.ts';
import { WEBHOOKS_PREFIX } from '../../domain/lake/objects.ts';
import { WEBHOOKS_OBJECT_KEY, webhookViewStatements } from '../../domain/lake/views.ts';
import type { PipelineSchema } from '../../domain/lake/schema.ts';
import { duckdbPipelineViewSql } from '../../domain/lake/schema-views.ts';

const MANIFEST = '.hooklake-cache.json';
const MANIFEST_VERSION = 1;

export interface LakeSource {
  s3: S3Client;
  bucket: string;
  /** Identifies the bucket's location (e.g. the S3 endpoint); a cache filled from elsewhere is reset. */
  origin?: string;
}

export interface SyncOptions extends LakeSource {
  cacheDir: string;
  /** Only this pipeline's objects; all pipelines when absent. */
  pipelineId?: number | undefined;
  /** Parallel downloads (default 8). */
  concurrency?: number;
}

export interface SyncResult {
  /** Lake objects in scope. */
  objects: number;
  /** Downloaded now (new or changed). */
  downloaded: number;
  /** Bytes downloaded now. */
  bytes: number;
  /** Cached files removed because the bucket no longer has them. */
  removed: number;
}

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
  /** Typed tables: a view `pipeline_<N>` per schema, over `webhooks` (docs/lake.md). */
  schemas?: readonly PipelineSchema[] | undefined;
}

export type QueryLakeOptions = SyncOptions & QueryCacheOptions;

interface Manifest {
  version: number;
  origin: string;
  objects: Record<string, { etag: string; size: number }>;
}

const scopePrefix = (pipelineId: number | undefined) =>
  pipelineId === undefined ? WEBHOOKS_PREFIX : `${WEBHOOKS_PREFIX}pipeline_id=${pipelineId}/`;

/** Syncs, then queries: the one call `hooklake query` makes. */
export async function queryLake(options: QueryLakeOptions): Promise<QueryResult & { sync: SyncResult }> {
  const sync = await syncLake(options);
  return { ...(await queryCache(options)), sync };
}

/** Mirrors the lake objects in scope into `cacheDir`: fetches new or changed ones, drops deleted ones. */
export async function syncLake(options: SyncOptions): Promise<SyncResult> {
  const cacheDir = resolve(options.cacheDir);
  const origin = `${options.origin ?? 's3'}/${options.bucket}`;
  await mkdir(cacheDir, { recursive: true });
  const manifest = await readManifest(cacheDir);
  if (manifest.origin !== origin) {
    // Another bucket's objects must not show up in this one's queries.
    await rm(join(cacheDir, 'webhooks'), { recursive: true, force: true });
    manifest.origin = origin;
    manifest.objects = {};
  }

  const prefix = scopePrefix(options.pipelineId);
  const listed = await listLakeObjects(options.s3, options.bucket, prefix);

  const stale: { key: string; etag: string; size: number }[] = [];
  for (const object of listed) {
    const cached = manifest.objects[object.key];
    if (cached?.etag === object.etag && cached.size === object.size && (await fileSize(localPath(cacheDir, object.key))) === object.size) {
      continue;
    }
    stale.push(object);
  }

  let bytes = 0;
  await forEachLimit(stale, options.concurrency ?? 8, async (object) => {
    const size = await download(options.s3, options.bucket, object.key, localPath(cacheDir, object.key));
    bytes += size;
    manifest.objects[object.key] = { etag: object.etag, size };
  });

  // Mirror deletions (e.g. objects rewritten under another name or removed by hand).
  const present = new Set(listed.map((object) => object.key));
  let removed = 0;
  for (const key of await localLakeKeys(cacheDir, options.pipelineId)) {
    if (present.has(key)) continue;
    await rm(localPath(cacheDir, key), { force: true });
    delete manifest.objects[key];
    removed++;
  }
  for (const key of Object.keys(manifest.objects)) {
    if (key.startsWith(prefix) && !present.has(key)) delete manifest.objects[key];
  }

  await writeManifest(cacheDir, manifest);
  return { objects: listed.length, downloaded: stale.length, bytes, removed };
}

/** Runs SQL over the cached lake; `webhooks` (deduplicated unless `raw`) and `webhooks_raw` always exist, `pipeline_<N>` for each schema given. */
export async function queryCache(options: QueryCacheOptions): Promise<QueryResult> {
  const cacheDir = resolve(options.cacheDir);
  const hasFiles = (await localLakeKeys(cacheDir, options.pipelineId)).length > 0;
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      const glob = hasFiles ? globFor(cacheDir, options.pipelineId) : undefined;
      for (const statement of webhookViewStatements(glob, options)) await connection.run(statement);
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

function globFor(cacheDir: string, pipelineId: number | undefined): string {
  const root = join(cacheDir, 'webhooks');
  return pipelineId === undefined
    ? join(root, 'pipeline_id=*', 'dt=*', '*.parquet')
    : join(root, `pipeline_id=${pipelineId}`, 'dt=*', '*.parquet');
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

async function listLakeObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; etag: string; size: number }[]> {
  const objects: { key: string; etag: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || !WEBHOOKS_OBJECT_KEY.test(object.Key)) continue;
      objects.push({ key: object.Key, etag: object.ETag ?? '', size: object.Size ?? 0 });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** Downloads to a temporary file and renames it, so readers never see half an object. */
async function download(s3: S3Client, bucket: string, key: string, path: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
    await pipeline(object.Body as Readable, createWriteStream(temporary));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return (await stat(path)).size;
}

function localPath(cacheDir: string, key: string): string {
  const path = resolve(cacheDir, ...key.split('/'));
  if (!path.startsWith(cacheDir + sep)) throw new Error(`refusing lake key outside the cache: ${key}`);
  return path;
}

/** A local file's size; undefined when there is no such file. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
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

/** Keys (`webhooks/pipeline_id=N/dt=D/x.parquet`) of the cached objects in scope. */
async function localLakeKeys(cacheDir: string, pipelineId: number | undefined): Promise<string[]> {
  const root = join(cacheDir, ...scopePrefix(pipelineId).split('/').filter(Boolean));
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .map((entry) => relative(cacheDir, join(root, entry)).split(sep).join('/'))
    .filter((key) => WEBHOOKS_OBJECT_KEY.test(key));
}

async function readManifest(cacheDir: string): Promise<Manifest> {
  try {
    const parsed = JSON.parse(await readFile(join(cacheDir, MANIFEST), 'utf8')) as Partial<Manifest>;
    if (parsed.version === MANIFEST_VERSION && typeof parsed.origin === 'string' && typeof parsed.objects === 'object') {
      return { version: MANIFEST_VERSION, origin: parsed.origin, objects: parsed.objects ?? {} };
    }
  } catch {
    // Missing or unreadable: start over; files are checked against the bucket anyway.
  }
  return { version: MANIFEST_VERSION, origin: '', objects: {} };
}

async function writeManifest(cacheDir: string, manifest: Manifest): Promise<void> {
  const path = join(cacheDir, MANIFEST);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(temporary, JSON.stringify(manifest));
  await rename(temporary, path);
}

async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

