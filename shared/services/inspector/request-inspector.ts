// The console's live view and id search, read from what the processor already writes: the
// pipeline's lake objects (Parquet) and quarantine objects (JSON lines), and the hours compaction
// has merged (`.hour.parquet`, ZSTD). Nothing is written per webhook for it, so it costs nothing
// while nobody watches (docs/cost.md). Object names carry the time range of their requests
// (domain/lake/objects.ts, objectName) and request ids their receive second (request-id.ts), so a
// poll lists only the last minutes of a day partition, and a search lists outward from the id's
// second (the minutes before it, then the rest of its hour, where the hour's compacted object
// starts, then the hour before) and reads only the objects whose range holds that second, in a
// large object only the row group whose id statistics can hold the id. Every call is bounded: list
// pages, objects read, S3 calls, bytes read and rows returned (the limits below), whatever a flood
// of webhooks wrote.
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { utcDay } from '../../domain/clock.ts';
import { isCompactedObject, objectTimeRange, partitionPath, QUARANTINE_PREFIX, timeOfDay, WEBHOOKS_PREFIX } from '../../domain/lake/objects.ts';
import { PARQUET_DECOMPRESSORS } from '../../domain/lake/parquet-codecs.ts';
import { REJECTION_REASONS, type RejectionReason } from '../../domain/ingest/records.ts';
import type { QuarantineRecord } from '../../domain/ingest/rejections.ts';
import { requestIdTime } from '../../domain/request-id.ts';
import type { CapturedHeaders, CapturedQuery } from '../../domain/ingest/request-capture.ts';
import {
  MAX_CURSOR_KEYS,
  MAX_RECENT_ROWS,
  type LakeObjectInfo,
  type LakeReader,
  type LandedCountReader,
  type RecentRequests,
  type RequestDetail,
  type RequestInspector,
  type RequestSummary,
} from '../../ports/inspector.ts';

/** The live view looks at objects whose first request is at most this old. */
export const LIVE_LOOKBACK_SECONDS = 10 * 60;
/** An id search looks at objects whose first request is at most this much older than the id (a batch holding a retried message spans that long at most). */
export const SEARCH_LOOKBACK_SECONDS = 60 * 60;
/** It looks first at objects whose first request is at most this much older than the id (a batch spans seconds): one list page, even in a busy hour. */
export const SEARCH_FIRST_LOOK_SECONDS = 5 * 60;
/** S3 calls (list pages and reads) one id search makes at most. */
export const MAX_SEARCH_CALLS = 48;
/** Bytes one id search reads at most. */
export const MAX_SEARCH_BYTES = 64 * 1024 * 1024;
/** The first read of a large object's footer. */
const FOOTER_FETCH_BYTES = 64 * 1024;
/** List pages (1,000 keys each) per prefix and call. */
export const MAX_LIST_PAGES = 3;
/** Objects read per call (lake and quarantine together). */
export const MAX_OBJECTS_READ = 8;
/** Bytes read per call. */
export const MAX_BYTES_READ = 24 * 1024 * 1024;
/** An object up to this size is read in one GET, bodies included; a larger one by ranges, without the body column in summaries. */
export const WHOLE_OBJECT_BYTES = 2 * 1024 * 1024;
/** A body shown in a request's detail is cut after this many bytes (the lake keeps it whole). */
export const MAX_DETAIL_BODY_BYTES = 1024 * 1024;
/** Objects remembered in a cursor (at most MAX_CURSOR_KEYS): those modified in the last CURSOR_SLACK_MS before its time. */
export const CURSOR_SLACK_MS = 5_000;

export interface RequestInspectorDeps {
  lake: LakeReader;
  landed: LandedCountReader;
  nowMs: () => number;
}

const SUMMARY_COLUMNS = ['__kdd_request_id', '__kdd_request_unix_timestamp', '__hl_request_method', '__hl_request_headers'];
const BODY_COLUMN = '__kdd_request_body';
const DETAIL_COLUMNS = [...SUMMARY_COLUMNS, BODY_COLUMN, '__hl_request_query'];

interface Budget {
  objects: number;
  bytes: number;
}

/** Thrown when a read would go past the call's byte budget. */
class BudgetExceeded extends Error {}

function partitionPrefix(prefix: string, pipelineId: number, dt: string): string {
  return partitionPath(prefix, { pipelineId, dt });
}

const fileName = (key: string) => key.slice(key.lastIndexOf('/') + 1);

/** A short tag of an object in a cursor: w|q and the first 12 hex characters of its content name (cursors travel in URLs). */
export function objectTag(key: string): string {
  return (key.startsWith(QUARANTINE_PREFIX) ? 'q' : 'w') + fileName(key).slice(14, 26);
}

/** An AsyncBuffer over an object: whole (one GET) when small, else ranged GETs counted against the budget. */
async function objectBuffer(lake: LakeReader, object: LakeObjectInfo, budget: Budget): Promise<AsyncBuffer> {
  const spend = (bytes: number) => {
    if (budget.bytes < bytes) throw new BudgetExceeded();
    budget.bytes -= bytes;
  };
  if (object.size <= WHOLE_OBJECT_BYTES) {
    spend(object.size);
    const bytes = await lake.read(object.key);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  return {
    byteLength: object.size,
    async slice(start: number, end?: number) {
      const stop = Math.min(end ?? object.size, object.size);
      spend(stop - start);
      const bytes = await lake.read(object.key, { start, end: stop });
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function parseJsonObject<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

const contentTypeOf = (headers: CapturedHeaders | null | undefined): string | null => headers?.['content-type'] ?? null;
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function landedSummary(row: Record<string, unknown>, withBody: boolean): RequestSummary {
  const headers = parseJsonObject<CapturedHeaders>(asString(row.__hl_request_headers));
  const body = asString(row[BODY_COLUMN]);
  return {
    id: String(row.__kdd_request_id),
    ts: Number(row.__kdd_request_unix_timestamp),
    status: 'landed',
    reason: null,
    method: asString(row.__hl_request_method),
    contentType: contentTypeOf(headers),
    bytes: withBody && body !== null ? utf8Bytes(body) : null,
  };
}

const isReason = (value: unknown): value is RejectionReason => (REJECTION_REASONS as readonly unknown[]).includes(value);

function quarantineSummary(record: QuarantineRecord): RequestSummary {
  return {
    id: record.id,
    ts: record.ts,
    status: 'rejected',
    reason: isReason(record.reason) ? record.reason : null,
    method: record.method ?? null,
    contentType: contentTypeOf(record.headers),
    bytes: record.bodyBytes,
  };
}

/** The quarantine lines of an object (whole: a quarantine object holds at most one batch's bounded records). */
async function readQuarantine(lake: LakeReader, object: LakeObjectInfo, budget: Budget): Promise<QuarantineRecord[]> {
  if (budget.bytes < object.size) throw new BudgetExceeded();
  budget.bytes -= object.size;
  const text = new TextDecoder().decode(await lake.read(object.key));
  const records: QuarantineRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as QuarantineRecord);
    } catch {
      // A line that is not JSON is not ours: skipped.
    }
  }
  return records;
}

async function readLanded(lake: LakeReader, object: LakeObjectInfo, budget: Budget, columns: string[]): Promise<Record<string, unknown>[]> {
  const file = await objectBuffer(lake, object, budget);
  const metadata = await parquetMetadataAsync(file);
  const present = new Set(metadata.schema.map((element) => element.name));
  return (await parquetReadObjects({ file, metadata, columns: columns.filter((column) => present.has(column)), compressors: PARQUET_DECOMPRESSORS })) as Record<string, unknown>[];
}

interface SearchBudget {
  calls: number;
  bytes: number;
}

/** Takes one S3 call (and `bytes`) from a search's budget, or throws BudgetExceeded. */
function spendCall(budget: SearchBudget, bytes: number): void {
  if (budget.calls < 1 || budget.bytes < bytes) throw new BudgetExceeded();
  budget.calls--;
  budget.bytes -= bytes;
}

/** An object for a search: one GET when small, else ranged GETs, each counted. */
async function searchBuffer(lake: LakeReader, object: LakeObjectInfo, budget: SearchBudget): Promise<AsyncBuffer> {
  const bytesOf = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (object.size <= WHOLE_OBJECT_BYTES) {
    spendCall(budget, object.size);
    return bytesOf(await lake.read(object.key));
  }
  return {
    byteLength: object.size,
    async slice(start: number, end?: number) {
      const stop = Math.min(end ?? object.size, object.size);
      spendCall(budget, stop - start);
      return bytesOf(await lake.read(object.key, { start, end: stop }));
    },
  };
}

/** Whether a row group's id statistics (when it has them) can hold the id. */
function groupMayHold(metadata: FileMetaData, group: number, requestId: string): boolean {
  const chunk = metadata.row_groups[group]!.columns.find((column) => column.meta_data?.path_in_schema[0] === '__kdd_request_id');
  const stats = chunk?.meta_data?.statistics;
  const min = stats?.min_value ?? stats?.min;
  const max = stats?.max_value ?? stats?.max;
  if (typeof min !== 'string' || typeof max !== 'string') return true;
  return min <= requestId && requestId <= max;
}

/**
 * The row of `requestId` in a landed object, its detail columns read for that row only: the row
 * groups whose id statistics can hold it are searched by their id column, then the row's other
 * columns read from its group alone (a group's bodies that do not fit the budget are left out).
 */
async function findLandedRow(lake: LakeReader, object: LakeObjectInfo, requestId: string, budget: SearchBudget): Promise<Record<string, unknown> | undefined> {
  const file = await searchBuffer(lake, object, budget);
  const metadata = await parquetMetadataAsync(file, { initialFetchSize: FOOTER_FETCH_BYTES });
  const present = new Set(metadata.schema.map((element) => element.name));
  let start = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const rows = Number(group.num_rows);
    const groupStart = start;
    start += rows;
    if (!groupMayHold(metadata, index, requestId)) continue;
    const ids = (await parquetReadObjects({ file, metadata, columns: ['__kdd_request_id'], rowStart: groupStart, rowEnd: groupStart + rows, compressors: PARQUET_DECOMPRESSORS })) as Record<string, unknown>[];
    const at = ids.findIndex((row) => row.__kdd_request_id === requestId);
    if (at < 0) continue;
    const bodyBytes = Number(group.columns.find((column) => column.meta_data?.path_in_schema[0] === BODY_COLUMN)?.meta_data?.total_compressed_size ?? 0);
    const columns = DETAIL_COLUMNS.filter((column) => present.has(column) && (column !== BODY_COLUMN || object.size <= WHOLE_OBJECT_BYTES || bodyBytes <= budget.bytes));
    const [row] = (await parquetReadObjects({ file, metadata, columns, rowStart: groupStart + at, rowEnd: groupStart + at + 1, compressors: PARQUET_DECOMPRESSORS })) as Record<string, unknown>[];
    return row;
  }
  return undefined;
}

/** The partitions (UTC days) a time range touches. */
function daysBetween(fromSeconds: number, toSeconds: number): string[] {
  const days = [utcDay(fromSeconds)];
  const last = utcDay(toSeconds);
  if (last !== days[0]) days.push(last);
  return days;
}

/** Keys of a partition whose first request is at or after `fromHhmmss` (and at most `untilHhmmss`), within MAX_LIST_PAGES. */
async function listRange(lake: LakeReader, prefix: string, fromHhmmss: string | undefined, untilHhmmss?: string): Promise<LakeObjectInfo[]> {
  const found: LakeObjectInfo[] = [];
  let continuation: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const listed = await lake.list(prefix, {
      ...(continuation === undefined ? { startAfter: fromHhmmss === undefined ? undefined : prefix + fromHhmmss } : { continuation }),
      maxKeys: 1000,
    });
    for (const object of listed.objects) {
      const range = objectTimeRange(fileName(object.key));
      if (range === undefined) continue;
      if (untilHhmmss !== undefined && range.first > untilHhmmss) return found;
      found.push(object);
    }
    continuation = listed.continuation;
    if (continuation === undefined) break;
  }
  return found;
}

export function createRequestInspector(deps: RequestInspectorDeps): RequestInspector {
  const { lake } = deps;

  return {
    async recent(pipelineId, cursor, limit) {
      const nowSeconds = deps.nowMs() / 1000;
      const fromSeconds = nowSeconds - LIVE_LOOKBACK_SECONDS;
      const days = daysBetween(fromSeconds, nowSeconds);
      const listings = await Promise.all(
        days.flatMap((dt) =>
          [WEBHOOKS_PREFIX, QUARANTINE_PREFIX].map(async (prefix) => {
            const from = dt === utcDay(fromSeconds) ? timeOfDay(fromSeconds) : undefined;
            // A compacted hour holds requests already shown when they landed: not new ones.
            return (await listRange(lake, partitionPrefix(prefix, pipelineId, dt), from)).filter((object) => !isCompactedObject(object.key));
          }),
        ),
      );
      const seen = new Set(cursor?.seen ?? []);
      const since = cursor === undefined ? 0 : cursor.sinceMs - CURSOR_SLACK_MS;
      const fresh = listings
        .flat()
        .filter((object) => object.lastModifiedMs >= since && !seen.has(objectTag(object.key)))
        .sort((a, b) => b.lastModifiedMs - a.lastModifiedMs || (a.key < b.key ? 1 : -1));

      // Newest first; a flood beyond the bounds is skipped (the view jumps ahead, never falls behind).
      const budget: Budget = { objects: MAX_OBJECTS_READ, bytes: MAX_BYTES_READ };
      const rows: RequestSummary[] = [];
      const read: LakeObjectInfo[] = [];
      let skippedObjects = 0;
      for (const object of fresh) {
        if (budget.objects === 0) {
          skippedObjects++;
          continue;
        }
        budget.objects--;
        try {
          if (object.key.startsWith(QUARANTINE_PREFIX)) {
            rows.push(...(await readQuarantine(lake, object, budget)).map(quarantineSummary));
          } else {
            const withBody = object.size <= WHOLE_OBJECT_BYTES;
            const columns = withBody ? [...SUMMARY_COLUMNS, BODY_COLUMN] : SUMMARY_COLUMNS;
            rows.push(...(await readLanded(lake, object, budget, columns)).map((row) => landedSummary(row, withBody)));
          }
          read.push(object);
        } catch (error) {
          if (!(error instanceof BudgetExceeded)) throw error;
          skippedObjects++;
        }
      }
      // Skipped objects count as seen: the cursor moves past them. The previous cursor's tags stay
      // only while objects of their time can still be listed (within the slack of the new time).
      const newestMs = fresh.reduce((max, object) => Math.max(max, object.lastModifiedMs), cursor?.sinceMs ?? 0);
      const keepPrevious = cursor !== undefined && cursor.sinceMs >= newestMs - CURSOR_SLACK_MS;
      const nextSeen = [
        ...fresh.filter((object) => object.lastModifiedMs >= newestMs - CURSOR_SLACK_MS).map((object) => objectTag(object.key)),
        ...(keepPrevious ? cursor.seen : []),
      ].slice(0, MAX_CURSOR_KEYS);
      rows.sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1));
      return {
        requests: rows.slice(0, Math.min(limit, MAX_RECENT_ROWS)),
        cursor: { sinceMs: newestMs, seen: nextSeen },
        skippedObjects,
      } satisfies RecentRequests;
    },

    async find(pipelineId, requestId) {
      const second = requestIdTime(requestId);
      if (second === undefined || second > deps.nowMs() / 1000 + 60) return undefined;
      // Every request of an object shares its day partition, so the one of the id's day holds it.
      const dt = utcDay(second);
      const dayStart = Date.parse(`${dt}T00:00:00.000Z`) / 1000;
      const at = timeOfDay(second);
      const holds = (object: LakeObjectInfo) => {
        const range = objectTimeRange(fileName(object.key));
        return range !== undefined && range.first <= at && at <= range.last;
      };
      // Outward from the id's second: the minutes before it, the rest of its hour (where the hour's
      // compacted object starts), the hour before (a batch holding a retried message).
      const hourStart = second - (second % 3600);
      const edges = [second - SEARCH_FIRST_LOOK_SECONDS, hourStart, second - SEARCH_LOOKBACK_SECONDS].map((edge) => Math.max(dayStart, edge));
      const windows: [from: number, to: number][] = [[edges[0]!, second]];
      if (edges[1]! < edges[0]!) windows.push([edges[1]!, edges[0]!]);
      if (edges[2]! < Math.min(edges[0]!, edges[1]!)) windows.push([edges[2]!, Math.min(edges[0]!, edges[1]!)]);
      const budget: SearchBudget = { calls: MAX_SEARCH_CALLS, bytes: MAX_SEARCH_BYTES };
      const seen = new Set<string>();
      try {
        for (const [from, to] of windows) {
          for (const prefix of [WEBHOOKS_PREFIX, QUARANTINE_PREFIX]) {
            const listed = await listWindow(lake, partitionPrefix(prefix, pipelineId, dt), from, to, dayStart, budget);
            // Narrow ranges first: a batch of the id's second before an object spanning an hour.
            const candidates = listed.filter((object) => !seen.has(object.key) && holds(object)).sort((a, b) => rangeSeconds(a) - rangeSeconds(b));
            for (const object of candidates) {
              seen.add(object.key);
              const detail = prefix === WEBHOOKS_PREFIX ? await landedDetail(lake, object, requestId, budget) : await rejectedDetail(lake, object, requestId, budget);
              if (detail !== undefined) return detail;
            }
          }
        }
      } catch (error) {
        if (error instanceof BudgetExceeded) return undefined;
        throw error;
      }
      return undefined;
    },

    landedCounts: (pipelineId, sinceDt) => deps.landed.landedCounts(pipelineId, sinceDt),
  };
}

/** Seconds between an object's first and last request (its name's range). */
function rangeSeconds(object: LakeObjectInfo): number {
  const range = objectTimeRange(fileName(object.key))!;
  const seconds = (hhmmss: string) => Number(hhmmss.slice(0, 2)) * 3600 + Number(hhmmss.slice(2, 4)) * 60 + Number(hhmmss.slice(4, 6));
  return seconds(range.last) - seconds(range.first);
}

/** Keys of a partition whose first request is in `[from, to]` (seconds), each page one call of the search's budget. */
async function listWindow(lake: LakeReader, prefix: string, from: number, to: number, dayStart: number, budget: SearchBudget): Promise<LakeObjectInfo[]> {
  const found: LakeObjectInfo[] = [];
  // StartAfter is exclusive: one second earlier keeps objects starting exactly at `from`.
  const startAfter = from <= dayStart ? undefined : prefix + timeOfDay(from - 1);
  const until = timeOfDay(to);
  let continuation: string | undefined;
  do {
    spendCall(budget, 0);
    const listed = await lake.list(prefix, { ...(continuation === undefined ? { startAfter } : { continuation }), maxKeys: 1000 });
    for (const object of listed.objects) {
      const range = objectTimeRange(fileName(object.key));
      if (range === undefined) continue;
      if (range.first > until) return found;
      found.push(object);
    }
    continuation = listed.continuation;
  } while (continuation !== undefined);
  return found;
}

async function landedDetail(lake: LakeReader, object: LakeObjectInfo, requestId: string, budget: SearchBudget): Promise<RequestDetail | undefined> {
  const row = await findLandedRow(lake, object, requestId, budget);
  if (row === undefined) return undefined;
  const body = asString(row[BODY_COLUMN]);
  const cut = body === null ? null : cutUtf8(body, MAX_DETAIL_BODY_BYTES);
  return {
    ...landedSummary(row, body !== null),
    body: cut,
    bodyTruncated: body !== null && cut!.length < body.length,
    headers: parseJsonObject<CapturedHeaders>(asString(row.__hl_request_headers)),
    query: parseJsonObject<CapturedQuery>(asString(row.__hl_request_query)),
  } satisfies RequestDetail;
}

async function rejectedDetail(lake: LakeReader, object: LakeObjectInfo, requestId: string, budget: SearchBudget): Promise<RequestDetail | undefined> {
  spendCall(budget, object.size);
  const records = await readQuarantine(lake, object, { objects: 1, bytes: object.size });
  const record = records.find((candidate) => candidate.id === requestId);
  if (record === undefined) return undefined;
  return {
    ...quarantineSummary(record),
    body: record.bodyPrefix,
    bodyTruncated: utf8Bytes(record.bodyPrefix) < record.bodyBytes,
    headers: record.headers ?? null,
    query: record.query ?? null,
  } satisfies RequestDetail;
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || utf8Bytes(text) <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && utf8Bytes(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}
