// The sync queue (scheduler, API → sync function), JSON, version 1:
//
//   {"v":1,"kind":"tick"}                              start the runs whose schedule is due (every minute)
//   {"v":1,"kind":"run","syncId","runId"}             plan the run if it is not yet, then enqueue its row-ops
//                                                     chunk by chunk; sent again to continue a long run
//   {"v":1,"kind":"check","syncId","runId"}           count the run's deliveries; finish it when none is pending
//
// The same function compacts the lake (it ships DuckDB; docs/lake.md, "Compaction"), so the queue
// carries that work too:
//
//   {"v":1,"kind":"compact_tick","days":2}             queue a `compact` for each partition of the last `days`
//                                                     UTC days, and each with removals pending
//   {"v":1,"kind":"compact","pipelineId":7,"dt":"…"}  compact the partition's due hours, remove what its grace
//                                                     period frees; sent again to continue when time runs out
//
// A message is idempotent: the run record says where the run is, and every step is conditional on
// it; a compaction rewrites the same output for the same rows.
import * as v from 'valibot';
import { parseQueueJson, queueSafeJson } from '../queue-safe-json.ts';
import { RUN_ID, SYNC_ID } from './ids.ts';

export type SyncMessage =
  | { v: 1; kind: 'tick' }
  | { v: 1; kind: 'run'; syncId: string; runId: string }
  | { v: 1; kind: 'check'; syncId: string; runId: string };

export type CompactionMessage = { v: 1; kind: 'compact_tick'; days: number } | { v: 1; kind: 'compact'; pipelineId: number; dt: string };

/** Every message of the sync queue. */
export type SyncQueueMessage = SyncMessage | CompactionMessage;

/** Days a scheduled compaction looks back by default (today and yesterday); a daily pass looks further, for redriven messages. */
export const COMPACTION_TICK_DAYS = 2;
/** The daily pass: as far back as the ingest DLQ keeps a message (14 days), so a redrive's late rows are compacted too. */
export const COMPACTION_SWEEP_DAYS = 15;

const RunRefSchema = { syncId: v.pipe(v.string(), v.regex(SYNC_ID)), runId: v.pipe(v.string(), v.regex(RUN_ID)) };
const SyncMessageSchema = v.variant('kind', [
  v.object({ v: v.literal(1), kind: v.literal('tick') }),
  v.object({ v: v.literal(1), kind: v.literal('run'), ...RunRefSchema }),
  v.object({ v: v.literal(1), kind: v.literal('check'), ...RunRefSchema }),
]);

const SyncQueueMessageSchema = v.variant('kind', [
  ...SyncMessageSchema.options,
  v.object({ v: v.literal(1), kind: v.literal('compact_tick'), days: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(366)) }),
  v.object({
    v: v.literal(1),
    kind: v.literal('compact'),
    pipelineId: v.pipe(v.number(), v.integer(), v.minValue(1)),
    dt: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
  }),
]);

export class MalformedSyncMessageError extends Error {
  override name = 'MalformedSyncMessageError';
}

export function parseSyncMessage(text: string): SyncMessage {
  return parseQueueJson(text, SyncMessageSchema, MalformedSyncMessageError);
}

/** Any message of the sync queue: a sync's or a compaction's. */
export function parseSyncQueueMessage(text: string): SyncQueueMessage {
  return parseQueueJson(text, SyncQueueMessageSchema, MalformedSyncMessageError);
}

export function isCompactionMessage(message: SyncQueueMessage): message is CompactionMessage {
  return message.kind === 'compact_tick' || message.kind === 'compact';
}

export function serializeSyncMessage(message: SyncQueueMessage): string {
  return queueSafeJson(JSON.stringify(message));
}
