// The lake's layout and file formats (docs/design.md). Object names derive from their rows, so
// a retried batch overwrites its own objects instead of adding copies.
import { createHash } from 'node:crypto';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import { utcDay } from '../clock.ts';
import type { IngestMessage } from '../ingest/message.ts';
import { PARQUET_TYPES, WEBHOOK_COLUMNS, type WebhookRow } from './columns.ts';
import { PARQUET_COMPRESSORS } from './parquet-codecs.ts';
import type { QuarantineRecord, RejectionBucket } from '../ingest/rejections.ts';
import type { CapturedHeaders } from '../ingest/request-capture.ts';

export type { WebhookRow };

/**
 * The row an accepted request lands as; `body` is its stored body text (the message's, or the
 * claim-checked one); `deliveryId` the provider's delivery id (signatures/delivery-id.ts);
 * `headers` the headers as stored (request-capture.ts storedHeaders; the message's by default).
 * Columns a message predates are null.
 */
export function webhookRowOf(
  message: IngestMessage,
  body: string,
  deliveryId: string | null = null,
  headers: CapturedHeaders | undefined = message.headers,
): WebhookRow {
  return {
    __kdd_request_id: message.id,
    __kdd_request_unix_timestamp: message.ts,
    __kdd_requester_key: message.key,
    __kdd_request_body: body,
    __hl_request_method: message.method ?? null,
    __hl_request_headers: headers === undefined ? null : JSON.stringify(headers),
    __hl_request_query: message.query === undefined ? null : JSON.stringify(message.query),
    __hl_provider_delivery_id: deliveryId,
  };
}

export interface Partition {
  pipelineId: number;
  dt: string;
}

export const WEBHOOKS_PREFIX = 'webhooks/';
export const QUARANTINE_PREFIX = 'quarantine/';

export function partitionOf(pipelineId: number, unixSeconds: number): Partition {
  return { pipelineId, dt: utcDay(unixSeconds) };
}

/** Quarantine is partitioned by rejection bucket: the pipeline's id, or `unknown` for pipelines that do not exist. */
export interface QuarantinePartition {
  pipelineId: RejectionBucket;
  dt: string;
}

export function partitionPath(prefix: string, partition: Partition | QuarantinePartition): string {
  return `${prefix}pipeline_id=${partition.pipelineId}/dt=${partition.dt}/`;
}

/** First 32 hex characters of SHA-256 over the sorted request ids. */
export function contentName(requestIds: readonly string[]): string {
  // Each id then a newline, hashed as one text: one call into the hash, not two per id.
  return createHash('sha256').update(requestIds.length === 0 ? '' : [...requestIds].sort().join('\n') + '\n').digest('hex').slice(0, 32);
}

/** What an object's name derives from: the ids and receive times of its requests. */
export interface StoredRequestRef {
  id: string;
  /** Unix seconds. */
  ts: number;
}

/** `HHMMSS` (UTC) of a time. */
export function timeOfDay(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString().slice(11, 19).replaceAll(':', '');
}

/**
 * `<first>-<last>-<content>`: the UTC times of day (HHMMSS) of its earliest and latest request,
 * then contentName. Names stay a function of the rows (a retried batch overwrites its object),
 * and sort by time within a day partition, so readers can list just a time range (StartAfter)
 * and tell from the name alone which objects can hold a request of a given second.
 */
export function objectName(requests: readonly StoredRequestRef[]): string {
  let first = Infinity;
  let last = -Infinity;
  for (const request of requests) {
    first = Math.min(first, request.ts);
    last = Math.max(last, request.ts);
  }
  return `${timeOfDay(first)}-${timeOfDay(last)}-${contentName(requests.map((request) => request.id))}`;
}

/**
 * The suffix of an hour's compacted object (`<first>-<last>-<content>.hour.parquet`,
 * lake/compaction.ts): every row of one UTC hour of a partition, once per request id, sorted by
 * time, ZSTD with statistics. The processor's own objects end in plain `.parquet`.
 */
export const COMPACTED_SUFFIX = '.hour.parquet';

const OBJECT_NAME = /^(\d{6})-(\d{6})-[0-9a-f]{32}(\.hour\.parquet|\.parquet|\.jsonl)$/;

/** The time range (HHMMSS, inclusive) in a lake or quarantine object's file name; undefined for other names (objects named before times were). */
export function objectTimeRange(fileName: string): { first: string; last: string } | undefined {
  const match = OBJECT_NAME.exec(fileName);
  return match === null ? undefined : { first: match[1]!, last: match[2]! };
}

/** The last segment of a key. */
export const fileNameOf = (key: string): string => key.slice(key.lastIndexOf('/') + 1);

/** Whether a key or file name is an hour's compacted object. */
export function isCompactedObject(keyOrName: string): boolean {
  return keyOrName.endsWith(COMPACTED_SUFFIX);
}

export function webhooksObjectKey(partition: Partition, requests: readonly StoredRequestRef[]): string {
  return `${partitionPath(WEBHOOKS_PREFIX, partition)}${objectName(requests)}.parquet`;
}

/** The key of an hour's compacted object: named from its rows as the processor names its own, so a rerun over the same rows overwrites it. */
export function compactedObjectKey(partition: Partition, requests: readonly StoredRequestRef[]): string {
  return `${partitionPath(WEBHOOKS_PREFIX, partition)}${objectName(requests)}${COMPACTED_SUFFIX}`;
}

/**
 * Where the compacted object of the UTC hour of `unixSeconds` is: the keys of its day partition
 * that start with the hour (`webhooks/pipeline_id=N/dt=D/HH`). A `webhook_received` event's
 * `objectKey` is removed once its hour is compacted (after the grace period); its row is then in
 * the one `.hour.parquet` object under this prefix.
 */
export function compactedHourPrefix(pipelineId: number, unixSeconds: number): string {
  return `${partitionPath(WEBHOOKS_PREFIX, partitionOf(pipelineId, unixSeconds))}${timeOfDay(unixSeconds).slice(0, 2)}`;
}

export function quarantineObjectKey(partition: QuarantinePartition, requests: readonly StoredRequestRef[]): string {
  return `${partitionPath(QUARANTINE_PREFIX, partition)}${objectName(requests)}.jsonl`;
}

/**
 * The columns whose min/max statistics the processor writes: readers prune on time and id (request
 * ids start with their receive second, so they sort by time). Bodies and headers are unique text:
 * statistics on them would only cost time.
 */
export const STATISTICS_COLUMNS: ReadonlySet<string> = new Set(['__kdd_request_id', '__kdd_request_unix_timestamp']);

/**
 * Columns whose values are (almost) all distinct: the writer's dictionary trial, sampled on every
 * value, would reject a dictionary anyway, so they are written PLAIN without the trial (the same
 * bytes, ~10% of the processor's CPU saved; profile in docs/benchmarks.md).
 */
const DISTINCT_VALUED_COLUMNS: ReadonlySet<string> = new Set(['__kdd_request_id', '__kdd_request_unix_timestamp', '__kdd_request_body']);

/**
 * The text columns (bodies, headers, queries: nearly all of an object's bytes) are ZSTD
 * (parquet-codecs.ts), about half the CPU of the writer's own Snappy and smaller objects. The short
 * columns are left uncompressed: a compressor call costs more than their few bytes per row would
 * save. Every reader of the lake reads both: DuckDB, Athena, and hyparquet given
 * PARQUET_DECOMPRESSORS.
 */
export const ZSTD_COLUMNS: ReadonlySet<string> = new Set(['__kdd_request_body', '__hl_request_headers', '__hl_request_query']);

/** An all-null column has no data to compress. */
export const columnCodec = (name: string, values: readonly unknown[]): 'ZSTD' | 'UNCOMPRESSED' =>
  ZSTD_COLUMNS.has(name) && values.some((value) => value !== null) ? 'ZSTD' : 'UNCOMPRESSED';

/**
 * The distinct-valued text columns, bodies and ids, are passed as UTF-8 bytes (utf8Writer): the
 * writer would otherwise encode each value into an allocation of its own. The others stay strings:
 * their dictionary trial keys strings by V8's own hash, where bytes would be hashed in JavaScript.
 */
const UTF8_BYTES_COLUMNS: ReadonlySet<string> = new Set(['__kdd_request_id', '__kdd_request_body']);

/** A batch's text bytes are written here while they fit, so each batch does not map fresh pages. */
const SCRATCH_MAX_BYTES = 4 * 2 ** 20;
let scratch = Buffer.allocUnsafeSlow(0);

/**
 * Encodes text to UTF-8 into one buffer for the whole batch (the scratch buffer when it fits: the
 * writer copies every value out before encodeWebhookRows returns, and it runs synchronously).
 */
function utf8Writer(totalUnits: number): (value: string) => Uint8Array {
  const wanted = totalUnits + (totalUnits >> 2);
  let slab: Buffer;
  if (wanted > SCRATCH_MAX_BYTES) slab = Buffer.allocUnsafeSlow(wanted);
  else slab = scratch.length >= wanted ? scratch : (scratch = Buffer.allocUnsafeSlow(Math.max(wanted, 64 * 1024)));
  let offset = 0;
  let unitsLeft = totalUnits;
  return (value) => {
    // A UTF-16 unit is at most 3 UTF-8 bytes: a value that might not fit starts a new buffer,
    // sized for the rest of the batch as (mostly) ASCII.
    if (slab.length - offset < value.length * 3) {
      slab = Buffer.allocUnsafeSlow(Math.max(value.length * 3, unitsLeft + (unitsLeft >> 2)));
      offset = 0;
    }
    unitsLeft -= value.length;
    // ASCII (its UTF-8 length is its length, which simdutf tells at a glance) is written as
    // Latin-1, the same bytes: V8 copies those out of any string, where its UTF-8 writer takes a
    // slow path, ~15x, for a string sliced from another (a version 2 message's body, message.ts).
    const length = slab.write(value, offset, Buffer.byteLength(value, 'utf8') === value.length ? 'latin1' : 'utf8');
    const bytes = slab.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
}

export function encodeWebhookRows(rows: readonly WebhookRow[]): Uint8Array {
  let textUnits = 0;
  let bytesColumnUnits = 0;
  for (const row of rows) {
    textUnits += row.__kdd_request_body.length + (row.__hl_request_headers?.length ?? 0);
    bytesColumnUnits += row.__kdd_request_body.length + row.__kdd_request_id.length;
  }
  const utf8 = utf8Writer(bytesColumnUnits);
  // Sized for JSON text compressed to a quarter, so the writer seldom grows it (it doubles and copies).
  const writer = new ByteWriter(4096 + rows.length * 96 + (textUnits >> 2));
  void parquetWrite({
    writer,
    columnData: WEBHOOK_COLUMNS.map((column) => {
      const values = rows.map((row) => row[column.name]);
      return {
        name: column.name,
        type: PARQUET_TYPES[column.type],
        nullable: column.nullable,
        data: UTF8_BYTES_COLUMNS.has(column.name) ? (values as string[]).map(utf8) : values,
        ...(DISTINCT_VALUED_COLUMNS.has(column.name) ? { encoding: 'PLAIN' as const } : {}),
        statistics: STATISTICS_COLUMNS.has(column.name),
        codec: columnCodec(column.name, values),
      };
    }),
    compressors: PARQUET_COMPRESSORS,
    statistics: false,
    // Request ids are 20 letters: whole, so their min/max are exact.
    statisticsTruncateLength: 32,
  });
  return new Uint8Array(writer.getBuffer());
}

/** One JSON line per rejected request (QuarantineRecord: a bounded prefix of the body, never all of it). */
export function encodeQuarantineRows(rows: readonly QuarantineRecord[]): Uint8Array {
  return Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n') + '\n', 'utf8');
}

/** Groups items by partition, keeping their order inside each group. */
export function groupByPartition<T, P extends Partition | QuarantinePartition = Partition>(
  items: readonly T[],
  partitionOfItem: (item: T) => P,
): Map<string, { partition: P; items: T[] }> {
  const groups = new Map<string, { partition: P; items: T[] }>();
  for (const item of items) {
    const partition = partitionOfItem(item);
    const id = `${partition.pipelineId}/${partition.dt}`;
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { partition, items: [] }));
    group.items.push(item);
  }
  return groups;
}
