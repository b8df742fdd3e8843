// The console's live view and id search, read from what the processor already writes: the
// pipeline's lake objects (Parquet) and quarantine objects (JSON lines). Nothing is written per
// webhook for it, so it costs nothing while nobody watches (docs/cost.md). Object names carry the
// time range of their requests (domain/lake/objects.ts, objectName) and request ids their receive second
// (request-id.ts), so a poll lists only the last minutes of a day partition and a search only
// the objects whose range holds the id's second. Every call is bounded: list pages, objects
// read, bytes read and rows returned (the limits below), whatever a flood of webhooks wrote.
import { parquetMetadataAsync, parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { utcDay } from '../../domain/clock.ts';
import { objectTimeRange, partitionPath, QUARANTINE_PREFIX, timeOfDay, WEBHOOKS_PREFIX } from '../../domain/lake/objects.ts';
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
  return (await parquetReadObjects({ file, metadata, columns: columns.filter((column) => present.has(column)) })) as Record<string, unknown>[];
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
            return listRange(lake, partitionPrefix(prefix, pipelineId, dt), from);
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
      const from = second - SEARCH_LOOKBACK_SECONDS < dayStart ? undefined : timeOfDay(second - SEARCH_LOOKBACK_SECONDS);
      // StartAfter is exclusive: one second earlier keeps objects starting exactly at `from`.
      const startAfter = from === undefined ? undefined : timeOfDay(second - SEARCH_LOOKBACK_SECONDS - 1);
      const at = timeOfDay(second);
      const holds = (object: LakeObjectInfo) => {
        const range = objectTimeRange(fileName(object.key))!;
        return range.first <= at && at <= range.last;
      };
      const [landed, quarantined] = await Promise.all(
        [WEBHOOKS_PREFIX, QUARANTINE_PREFIX].map(async (prefix) =>
          (await listRange(lake, partitionPrefix(prefix, pipelineId, dt), startAfter, at)).filter(holds),
        ),
      );
      const budget: Budget = { objects: MAX_OBJECTS_READ * 2, bytes: MAX_BYTES_READ };
      for (const object of landed!) {
        if (budget.objects-- <= 0) return undefined;
        const wholeBodies = object.size <= WHOLE_OBJECT_BYTES * 8;
        let rows: Record<string, unknown>[];
        try {
          rows = await readLanded(lake, object, budget, wholeBodies ? DETAIL_COLUMNS : DETAIL_COLUMNS.filter((column) => column !== BODY_COLUMN));
        } catch (error) {
          if (error instanceof BudgetExceeded) return undefined;
          throw error;
        }
        const row = rows.find((candidate) => candidate.__kdd_request_id === requestId);
        if (row === undefined) continue;
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
      for (const object of quarantined!) {
        if (budget.objects-- <= 0) return undefined;
        let records: QuarantineRecord[];
        try {
          records = await readQuarantine(lake, object, budget);
        } catch (error) {
          if (error instanceof BudgetExceeded) return undefined;
          throw error;
        }
        const record = records.find((candidate) => candidate.id === requestId);
        if (record === undefined) continue;
        return {
          ...quarantineSummary(record),
          body: record.bodyPrefix,
          bodyTruncated: utf8Bytes(record.bodyPrefix) < record.bodyBytes,
          headers: record.headers ?? null,
          query: record.query ?? null,
        } satisfies RequestDetail;
      }
      return undefined;
    },

    landedCounts: (pipelineId, sinceDt) => deps.landed.landedCounts(pipelineId, sinceDt),
  };
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that does not split a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || utf8Bytes(text) <= maxBytes) return text;
  let end = Math.min(text.length, maxBytes);
  while (end > 0 && utf8Bytes(text.slice(0, end)) > maxBytes) end = Math.floor(end * 0.9);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}
