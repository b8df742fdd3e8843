// The sync queue (scheduler, API → sync function), JSON, version 1:
//
//   {"v":1,"kind":"tick"}                              start the runs whose schedule is due (every minute)
//   {"v":1,"kind":"run","syncId","runId"}             plan the run if it is not yet, then enqueue its row-ops
//                                                     chunk by chunk; sent again to continue a long run
//   {"v":1,"kind":"check","syncId","runId"}           count the run's deliveries; finish it when none is pending
//
// A message is idempotent: the run record says where the run is, and every step is conditional on it.
import * as v from 'valibot';
import { parseQueueJson, queueSafeJson } from '../queue-safe-json.ts';
import { RUN_ID, SYNC_ID } from './ids.ts';

export type SyncMessage =
  | { v: 1; kind: 'tick' }
  | { v: 1; kind: 'run'; syncId: string; runId: string }
  | { v: 1; kind: 'check'; syncId: string; runId: string };

const RunRefSchema = { syncId: v.pipe(v.string(), v.regex(SYNC_ID)), runId: v.pipe(v.string(), v.regex(RUN_ID)) };
const SyncMessageSchema = v.variant('kind', [
  v.object({ v: v.literal(1), kind: v.literal('tick') }),
  v.object({ v: v.literal(1), kind: v.literal('run'), ...RunRefSchema }),
  v.object({ v: v.literal(1), kind: v.literal('check'), ...RunRefSchema }),
]);

export class MalformedSyncMessageError extends Error {
  override name = 'MalformedSyncMessageError';
}

export function parseSyncMessage(text: string): SyncMessage {
  return parseQueueJson(text, SyncMessageSchema, MalformedSyncMessageError);
}

export function serializeSyncMessage(message: SyncMessage): string {
  return queueSafeJson(JSON.stringify(message));
}
