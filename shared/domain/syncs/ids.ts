// Ids of syncs, runs and row-ops. A row-op's event id derives from (sync, run, primary key, op), so
// a chunk enqueued again after a crash produces the same event, delivery id and `webhook-id`, and
// the conditional writes of the delivery engine drop the copy. It also carries the op and the
// row-op's number, so a delivery record says which row-op it delivered without another read.
import { createHash, randomBytes } from 'node:crypto';
import { SYNC_ID_PREFIX } from '../delivery/destinations.ts';
import { SYNC_OPS, type SyncOp } from './definition.ts';

export { RUN_ID, SYNC_ID } from '../id-patterns.ts';
/** Every sync row-op's event id starts with this (and so its EVENT# item: an IAM LeadingKeys pattern). */
export const SYNC_EVENT_ID_PREFIX = 'evt_sync_';

export function newSyncId(): string {
  return `${SYNC_ID_PREFIX}${randomBytes(10).toString('hex')}`;
}

/** `run_` + the start time (epoch ms, 9 base-36 digits, so runs sort by time) + 8 random hex. */
export function newRunId(startedAtMs: number): string {
  return `run_${Math.floor(startedAtMs).toString(36).padStart(9, '0')}_${randomBytes(4).toString('hex')}`;
}

/** `evt_sync_<24 hex of SHA-256(sync, run, key, op)>_<op>_<row num>`. */
export function rowOpEventId(input: { syncId: string; runId: string; key: string; op: SyncOp; rowNum: number }): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([input.syncId, input.runId, input.key, input.op]), 'utf8')
    .digest('hex')
    .slice(0, 24);
  return `${SYNC_EVENT_ID_PREFIX}${hash}_${input.op}_${input.rowNum}`;
}

/** The op and row number a row-op's event id carries; undefined for any other id. */
export function rowOpOf(eventId: string): { op: SyncOp; rowNum: number } | undefined {
  const match = /^evt_sync_[0-9a-f]{24}_([a-z]+)_(\d+)$/.exec(eventId);
  if (match === null || !(SYNC_OPS as readonly string[]).includes(match[1]!)) return undefined;
  return { op: match[1] as SyncOp, rowNum: Number(match[2]) };
}
