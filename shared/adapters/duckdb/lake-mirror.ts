// The local mirror DuckDB reads the lake through (DuckDB cannot load httpfs here): the objects of
// the day partitions a query touches, kept across runs under `cacheDir` with the bucket's layout,
// fetched only when new or changed.
//
// - Partitions: only those asked for (lake-scope.ts finds the days a query can read); the rest of
//   the cache stays as it is, and is evicted, least recently used first, when the mirror would pass
//   its bound. A query that needs more than the bound fails before anything is downloaded, with a
//   message naming the bound.
// - Listing: a partition is listed whole at most every FULL_LISTING_MS; in between only the keys
//   after the last one seen (StartAfter: names sort by time), unless a compacted object shows up,
//   which means the partition was compacted: then whole again.
// - Compaction (domain/lake/compaction.ts): the manifests of the pipelines in scope are read every
//   run, and an object a compaction has replaced is not read (nor kept), so no row is read twice
//   while both copies exist. An object deleted between its listing and its download (its grace
//   period ended) means a stale listing: the partition is listed whole and mirrored again.
// - Columns: a compacted object over SPARSE_MIN_BYTES is fetched by ranges, its footer and the
//   column chunks of the columns the query reads, into a file of the object's size whose other
//   bytes are holes (no disk blocks; DuckDB reads only the chunks the footer points it to).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata } from 'hyparquet';
import { forEachBounded } from '../../domain/concurrency.ts';
import { liveObjects, manifestPrefix, parseManifest, type CompactionManifest, type ListedObject } from '../../domain/lake/compaction.ts';
import { isCompactedObject, partitionPath, WEBHOOKS_PREFIX, type Partition } from '../../domain/lake/objects.ts';
import { lakeFilesOf, WEBHOOKS_OBJECT_KEY, type LakeFiles } from '../../domain/lake/views.ts';
import { downloadRangesToFile, downloadToFile, isNoSuchKey, readRange } from '../s3/files.ts';
import { s3LakeObjects } from '../s3/lake-objects.ts';
import { fileSize } from './local-lake.ts';

export { fileSize, localLakeKeys } from './local-lake.ts';

const STATE_FILE = '.hooklake-cache.json';
const STATE_VERSION = 2;
/** A partition is listed whole at least this often (between, only new keys): catches late arrivals and finished compactions. */
export const FULL_LISTING_MS = 15 * 60_000;
/** Compacted objects from this size on are fetched by column; smaller ones whole. */
export const SPARSE_MIN_BYTES = 1024 * 1024;
/** Byte ranges closer than this are fetched as one. */
const RANGE_MERGE_GAP = 64 * 1024;
/** First read of a footer. */
const FOOTER_GUESS_BYTES = 64 * 1024;

/** The mirror would pass its bound: the query reads more of the lake than the mirror may hold. */
export class LakeMirrorLimitError extends Error {
  override name = 'LakeMirrorLimitError';
}

export interface MirrorSource {
  s3: S3Client;
  bucket: string;
  /** Identifies the bucket's location (e.g. the S3 endpoint); a cache filled from elsewhere is reset. */
  origin?: string | undefined;
}

export interface MirrorOptions extends MirrorSource {
  cacheDir: string;
  /** The day partitions to mirror (and read). */
  partitions: readonly Partition[];
  /** Every partition the bucket has (of one pipeline, or all): cached ones of that scope no longer there are dropped. */
  existing?: { partitions: readonly Partition[]; pipelineId?: number | undefined } | undefined;
  /** The Parquet columns the query reads; 'all' for every one. */
  columns: readonly string[] | 'all';
  /** Bytes the mirror may hold on disk, all partitions together (default: no bound). */
  limitBytes?: number | undefined;
  /** The setting that raises limitBytes, for the message when it is passed. */
  limitSetting?: string | undefined;
  /** Parallel GETs (default 8). */
  concurrency?: number | undefined;
  /** A partition is listed whole when its last whole listing is older than this (default FULL_LISTING_MS; 0: every time). */
  fullListingMs?: number | undefined;
  nowMs?: (() => number) | undefined;
}

export interface MirrorResult {
  /** What the views read: the mirrored files of the partitions asked for. */
  files: LakeFiles;
  /** Objects read in those partitions (live). */
  objects: number;
  /** Objects fetched now (new, changed, or missing columns). */
  downloaded: number;
  /** Bytes fetched now. */
  bytes: number;
  /** Files removed: deleted or replaced in the bucket, or evicted to stay within the bound. */
  removed: number;
  /** Bytes the mirror holds on disk afterwards. */
  heldBytes: number;
  /** Objects compactions have replaced that were skipped. */
  superseded: number;
}

interface LocalObject {
  etag: string;
  size: number;
  /** Columns fetched; absent = the whole object. */
  columns?: string[];
  /** Bytes it takes on disk (fetched ranges only, for a sparse file). */
  bytes: number;
}

interface PartitionState {
  listing: Record<string, { etag: string; size: number; lastModifiedMs: number }>;
  listedAtMs: number;
  usedAtMs: number;
}

interface State {
  version: number;
  origin: string;
  local: Record<string, LocalObject>;
  partitions: Record<string, PartitionState>;
  /** Parsed footers of compacted objects by key: etag, footer range, and column chunk ranges by column. */
  footers: Record<string, { etag: string; footer: [number, number]; chunks: Record<string, [number, number][]> }>;
  manifests: Record<string, { etag: string; manifest: CompactionManifest | null }>;
}

const emptyState = (origin: string): State => ({ version: STATE_VERSION, origin, local: {}, partitions: {}, footers: {}, manifests: {} });

async function readState(cacheDir: string): Promise<State | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(cacheDir, STATE_FILE), 'utf8')) as Partial<State>;
    if (parsed.version === STATE_VERSION && typeof parsed.origin === 'string') {
      return { ...emptyState(parsed.origin), ...parsed } as State;
    }
  } catch {
    // Missing or unreadable: start over.
  }
  return undefined;
}

async function writeState(cacheDir: string, state: State): Promise<void> {
  const path = join(cacheDir, STATE_FILE);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(temporary, JSON.stringify(state));
  await rename(temporary, path);
}

function localPath(cacheDir: string, key: string): string {
  const path = resolve(cacheDir, ...key.split('/'));
  if (!path.startsWith(cacheDir + sep)) throw new Error(`refusing lake key outside the cache: ${key}`);
  return path;
}

/** The day partitions of one pipeline or of all, as folders of the bucket. */
export async function listLakePartitions(source: MirrorSource, pipelineId?: number): Promise<Partition[]> {
  const lake = s3LakeObjects(source.s3, source.bucket);
  const pipelines =
    pipelineId !== undefined
      ? [pipelineId]
      : (await lake.listFolders(WEBHOOKS_PREFIX)).flatMap((folder) => {
          const match = /^webhooks\/pipeline_id=(\d+)\/$/.exec(folder);
          return match === null ? [] : [Number(match[1])];
        });
  const partitions: Partition[] = [];
  for (const id of pipelines) {
    for (const folder of await lake.listFolders(`${WEBHOOKS_PREFIX}pipeline_id=${id}/`)) {
      const dt = /\/dt=(\d{4}-\d{2}-\d{2})\/$/.exec(folder)?.[1];
      if (dt !== undefined) partitions.push({ pipelineId: id, dt });
    }
  }
  return partitions;
}

/** Merges sorted ranges closer than RANGE_MERGE_GAP. */
function mergeRanges(ranges: readonly [number, number][]): { start: number; end: number }[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: { start: number; end: number }[] = [];
  for (const [start, end] of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && start <= last.end + RANGE_MERGE_GAP) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  return merged;
}

/** Ranges a reader of `columns` needs: the magic bytes, the footer, and those columns' chunks. */
function neededRanges(footer: State['footers'][string], columns: readonly string[]): [number, number][] {
  return [[0, 4], footer.footer, ...columns.flatMap((column) => footer.chunks[column] ?? [])];
}

const rangeBytes = (ranges: readonly { start: number; end: number }[]) => ranges.reduce((sum, range) => sum + range.end - range.start, 0);

/** Mirrors the given partitions; returns the files the views read. */
export async function mirrorLake(options: MirrorOptions): Promise<MirrorResult> {
  const cacheDir = resolve(options.cacheDir);
  const nowMs = options.nowMs ?? (() => Date.now());
  const origin = `${options.origin ?? 's3'}/${options.bucket}`;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const lake = s3LakeObjects(options.s3, options.bucket);
  await mkdir(cacheDir, { recursive: true });
  let state = await readState(cacheDir);
  if (state === undefined || state.origin !== origin) {
    // Another bucket's objects must not show up in this one's queries.
    await rm(join(cacheDir, 'webhooks'), { recursive: true, force: true });
    state = emptyState(origin);
  }
  const result: MirrorResult = { files: { compacted: [], recent: [] }, objects: 0, downloaded: 0, bytes: 0, removed: 0, heldBytes: 0, superseded: 0 };
  const wantColumns = options.columns;

  // Manifests of the pipelines in scope (few: they live for a grace period), cached by etag.
  const manifestsByPartition = new Map<string, CompactionManifest[]>();
  for (const pipelineId of new Set(options.partitions.map((partition) => partition.pipelineId))) {
    const listed = await lake.list(manifestPrefix(pipelineId));
    const seen = new Set<string>();
    for (const object of listed) {
      if (!object.key.endsWith('.json')) continue;
      seen.add(object.key);
      let cached = state.manifests[object.key];
      if (cached === undefined || cached.etag !== object.etag) {
        const text = await lake.readText(object.key);
        cached = { etag: object.etag ?? '', manifest: text === undefined ? null : (parseManifest(text) ?? null) };
        state.manifests[object.key] = cached;
      }
      if (cached.manifest === null) continue;
      const dir = partitionPath(WEBHOOKS_PREFIX, cached.manifest);
      manifestsByPartition.set(dir, [...(manifestsByPartition.get(dir) ?? []), cached.manifest]);
    }
    for (const key of Object.keys(state.manifests)) {
      if (key.startsWith(manifestPrefix(pipelineId)) && !seen.has(key)) delete state.manifests[key];
    }
  }

  const wanted = new Set(options.partitions.map((partition) => partitionPath(WEBHOOKS_PREFIX, partition)));
  if (options.existing !== undefined) {
    // A partition whose objects are all gone from the bucket is no folder there any more.
    const existing = new Set(options.existing.partitions.map((partition) => partitionPath(WEBHOOKS_PREFIX, partition)));
    const scope = options.existing.pipelineId === undefined ? WEBHOOKS_PREFIX : `${WEBHOOKS_PREFIX}pipeline_id=${options.existing.pipelineId}/`;
    for (const dir of Object.keys(state.partitions)) {
      if (existing.has(dir) || !dir.startsWith(scope)) continue;
      for (const key of Object.keys(state.local)) {
        if (key.startsWith(dir)) {
          await rm(localPath(cacheDir, key), { force: true });
          delete state.local[key];
          result.removed++;
        }
      }
      delete state.partitions[dir];
    }
  }

  /** Lists a partition (whole, or after its last key), returns its live objects. */
  async function refresh(dir: string, whole: boolean): Promise<ListedObject[]> {
    let partition = state!.partitions[dir];
    const stale = partition === undefined || whole || nowMs() - partition.listedAtMs >= (options.fullListingMs ?? FULL_LISTING_MS);
    if (!stale) {
      const keys = Object.keys(partition!.listing).sort();
      const fresh = await lake.listAfter(dir, keys.at(-1));
      if (fresh.some((object) => isCompactedObject(object.key))) return refresh(dir, true);
      for (const object of fresh) partition!.listing[object.key] = { etag: object.etag ?? '', size: object.size, lastModifiedMs: object.lastModifiedMs };
    } else {
      const listed = await lake.list(dir);
      partition = { listing: {}, listedAtMs: nowMs(), usedAtMs: nowMs() };
      for (const object of listed) partition.listing[object.key] = { etag: object.etag ?? '', size: object.size, lastModifiedMs: object.lastModifiedMs };
      state!.partitions[dir] = partition;
    }
    partition!.usedAtMs = nowMs();
    const listing = Object.entries(partition!.listing)
      .filter(([key]) => WEBHOOKS_OBJECT_KEY.test(key))
      .map(([key, value]) => ({ key, ...value }));
    const live = liveObjects(listing, manifestsByPartition.get(dir) ?? []);
    result.superseded += listing.length - live.length;
    return live;
  }

  /** The column chunk ranges of a compacted object (its footer fetched once per etag). */
  async function footerOf(object: ListedObject): Promise<State['footers'][string]> {
    const cached = state!.footers[object.key];
    if (cached !== undefined && cached.etag === (object.etag ?? '')) return cached;
    let tailStart = Math.max(0, object.size - FOOTER_GUESS_BYTES);
    let tail = await readRange(options.s3, options.bucket, object.key, tailStart, object.size);
    const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    const metadataLength = view.getUint32(tail.byteLength - 8, true);
    const footerStart = object.size - 8 - metadataLength;
    if (footerStart < tailStart) {
      tailStart = footerStart;
      tail = await readRange(options.s3, options.bucket, object.key, tailStart, object.size);
    }
    const buffer = tail.buffer.slice(tail.byteOffset + (footerStart - tailStart), tail.byteOffset + tail.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(buffer);
    const chunks: Record<string, [number, number][]> = {};
    for (const group of metadata.row_groups) {
      for (const chunk of group.columns) {
        const meta = chunk.meta_data;
        if (meta === undefined) continue;
        const column = meta.path_in_schema[0]!;
        const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
        const list = (chunks[column] ??= []);
        list.push([start, start + Number(meta.total_compressed_size)]);
        if (meta.bloom_filter_offset !== undefined && meta.bloom_filter_length !== undefined) {
          list.push([Number(meta.bloom_filter_offset), Number(meta.bloom_filter_offset) + meta.bloom_filter_length]);
        }
        if (chunk.column_index_offset !== undefined && chunk.column_index_length !== undefined) {
          list.push([Number(chunk.column_index_offset), Number(chunk.column_index_offset) + chunk.column_index_length]);
        }
        if (chunk.offset_index_offset !== undefined && chunk.offset_index_length !== undefined) {
          list.push([Number(chunk.offset_index_offset), Number(chunk.offset_index_offset) + chunk.offset_index_length]);
        }
      }
    }
    const footer = { etag: object.etag ?? '', footer: [footerStart, object.size] as [number, number], chunks };
    state!.footers[object.key] = footer;
    return footer;
  }

  interface Fetch {
    object: ListedObject;
    dir: string;
    /** Undefined: the whole object. */
    columns?: string[];
    ranges?: { start: number; end: number }[];
    bytes: number;
  }

  const removeLocal = async (key: string) => {
    await rm(localPath(cacheDir, key), { force: true });
    delete state!.local[key];
    result.removed++;
  };

  async function plan(whole: ReadonlySet<string>): Promise<{ fetches: Fetch[]; liveByDir: Map<string, ListedObject[]> }> {
    const fetches: Fetch[] = [];
    const liveByDir = new Map<string, ListedObject[]>();
    for (const dir of wanted) {
      const live = await refresh(dir, whole.has(dir));
      liveByDir.set(dir, live);
      const liveKeys = new Set(live.map((object) => object.key));
      // What the bucket no longer has, or a compaction replaced, goes.
      for (const key of Object.keys(state!.local)) {
        if (key.startsWith(dir) && !liveKeys.has(key)) await removeLocal(key);
      }
      for (const object of live) {
        const local = state!.local[object.key];
        const same =
          local !== undefined && local.etag === (object.etag ?? '') && local.size === object.size && (await fileSize(localPath(cacheDir, object.key))) === object.size;
        const sparse = wantColumns !== 'all' && isCompactedObject(object.key) && object.size >= SPARSE_MIN_BYTES;
        if (!sparse) {
          if (same && local.columns === undefined) continue;
          fetches.push({ object, dir, bytes: object.size });
          continue;
        }
        const have = same ? local.columns : [];
        if (have === undefined) continue; // already whole
        const missing = wantColumns.filter((column) => !have.includes(column));
        if (same && missing.length === 0) continue;
        const footer = await footerOf(object);
        const ranges = mergeRanges(neededRanges(footer, same ? missing : wantColumns));
        const columns = [...new Set([...have, ...wantColumns])].sort();
        fetches.push({ object, dir, columns, ranges, bytes: rangeBytes(ranges) });
      }
    }
    return { fetches, liveByDir };
  }

  let whole = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const { fetches, liveByDir } = await plan(whole);
    const needed = fetches.reduce((sum, fetch) => sum + fetch.bytes, 0);
    const held = () => Object.values(state!.local).reduce((sum, local) => sum + local.bytes, 0);
    if (options.limitBytes !== undefined && held() + needed > options.limitBytes) {
      // Evict partitions this query does not read, least recently used first.
      const others = Object.entries(state.partitions)
        .filter(([dir]) => !wanted.has(dir))
        .sort((a, b) => a[1].usedAtMs - b[1].usedAtMs);
      for (const [dir] of others) {
        if (held() + needed <= options.limitBytes) break;
        for (const key of Object.keys(state.local)) if (key.startsWith(dir)) await removeLocal(key);
        delete state.partitions[dir];
      }
      const inScope = [...liveByDir.values()].flat().reduce((sum, object) => sum + object.size, 0);
      if (held() + needed > options.limitBytes) {
        await writeState(cacheDir, state);
        throw new LakeMirrorLimitError(
          `the query reads ${wanted.size} day partition${wanted.size === 1 ? '' : 's'} of the lake (${mib(inScope)} MiB in the bucket, ` +
            `${mib(held() + needed)} MiB to hold on disk), over the ${mib(options.limitBytes)} MiB the lake mirror may hold` +
            `${options.limitSetting === undefined ? '' : ` (${options.limitSetting})`}: filter it on fewer days (e.g. where dt >= current_date - 7) or on one pipeline`,
        );
      }
    }
    let vanished: string | undefined;
    const download = async (fetch: (typeof fetches)[number]) => {
      // Once an object has vanished, its partition is listed again: the rest waits for that.
      if (vanished !== undefined) return;
      const path = localPath(cacheDir, fetch.object.key);
      try {
        if (fetch.ranges === undefined) {
          const size = await downloadToFile(options.s3, options.bucket, fetch.object.key, path);
          state!.local[fetch.object.key] = { etag: fetch.object.etag ?? '', size, bytes: size };
          result.bytes += size;
        } else {
          const previous = state!.local[fetch.object.key];
          if (previous !== undefined && previous.etag !== (fetch.object.etag ?? '')) await rm(path, { force: true });
          const got = await downloadRangesToFile(options.s3, options.bucket, fetch.object.key, fetch.object.size, fetch.ranges, path);
          const kept = previous !== undefined && previous.etag === (fetch.object.etag ?? '') ? previous.bytes : 0;
          state!.local[fetch.object.key] = { etag: fetch.object.etag ?? '', size: fetch.object.size, columns: fetch.columns!, bytes: kept + got };
          result.bytes += got;
        }
        result.downloaded++;
      } catch (error) {
        if (!isNoSuchKey(error)) throw error;
        vanished = fetch.dir;
      }
    };
    try {
      await forEachBounded(fetches, concurrency, download);
    } finally {
      await writeState(cacheDir, state);
    }
    if (vanished !== undefined) {
      // Removed after its listing (a compaction's grace period ended): list the partition whole, again.
      if (attempt >= 3) throw new Error(`the lake partition ${vanished} kept changing while it was copied; try again`);
      whole = new Set([vanished]);
      continue;
    }
    const keys = [...liveByDir.values()].flat().map((object) => object.key);
    result.objects = keys.length;
    const listed = new Set(Object.values(state.partitions).flatMap((partition) => Object.keys(partition.listing)));
    for (const key of Object.keys(state.footers)) if (!listed.has(key)) delete state.footers[key];
    result.files = lakeFilesOf(cacheDir, keys.filter((key) => state!.local[key] !== undefined));
    result.heldBytes = held();
    await writeState(cacheDir, state);
    return result;
  }
}

const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20).toLocaleString('en-US');
