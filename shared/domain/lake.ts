// The lake's layout and file formats (docs/design.md). Object names derive from their rows, so
// a retried batch overwrites its own objects instead of adding copies.
import { createHash } from 'node:crypto';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { utcDay } from './clock.ts';
import type { QuarantineRecord, RejectionBucket } from './rejections.ts';

/** One row of the `webhooks` table: exactly Kondado's four columns. */
export interface WebhookRow {
  __kdd_request_id: string;
  __kdd_request_unix_timestamp: number;
  __kdd_requester_key: string;
  __kdd_request_body: string;
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
  const hash = createHash('sha256');
  for (const id of [...requestIds].sort()) hash.update(id).update('\n');
  return hash.digest('hex').slice(0, 32);
}

export function webhooksObjectKey(partition: Partition, requestIds: readonly string[]): string {
  return `${partitionPath(WEBHOOKS_PREFIX, partition)}${contentName(requestIds)}.parquet`;
}

export function quarantineObjectKey(partition: QuarantinePartition, requestIds: readonly string[]): string {
  return `${partitionPath(QUARANTINE_PREFIX, partition)}${contentName(requestIds)}.jsonl`;
}

export function encodeWebhookRows(rows: readonly WebhookRow[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: '__kdd_request_id', type: 'STRING', nullable: false, data: rows.map((row) => row.__kdd_request_id) },
      {
        name: '__kdd_request_unix_timestamp',
        type: 'DOUBLE',
        nullable: false,
        data: rows.map((row) => row.__kdd_request_unix_timestamp),
      },
      { name: '__kdd_requester_key', type: 'STRING', nullable: false, data: rows.map((row) => row.__kdd_requester_key) },
      { name: '__kdd_request_body', type: 'STRING', nullable: false, data: rows.map((row) => row.__kdd_request_body) },
    ],
    // Bodies are unique text: min/max statistics on them only cost time.
    statistics: false,
  });
  return new Uint8Array(buffer);
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
