// The console's view of inbound requests (docs/design.md, "The request inspector"): what the
// processor already wrote to the lake and the quarantine, read back by the api function
// (shared/services/inspector/), with the bounds the API checks its requests against.
import type { CapturedHeaders, CapturedQuery } from '../domain/ingest/request-capture.ts';
import type { RejectionReason } from '../domain/ingest/records.ts';

export interface LakeObjectInfo {
  key: string;
  size: number;
  lastModifiedMs: number;
}

/** Read-only access to the lake bucket's `webhooks/` and `quarantine/` objects. */
export interface LakeReader {
  /** One page (at most `maxKeys`, ≤ 1000) of keys under `prefix`, in key order, after `startAfter` (or `continuation`). */
  list(prefix: string, options: { startAfter?: string | undefined; continuation?: string | undefined; maxKeys: number }): Promise<{ objects: LakeObjectInfo[]; continuation?: string | undefined }>;
  /** Bytes `[start, end)` of an object (the whole object without a range). */
  read(key: string, range?: { start: number; end: number }): Promise<Uint8Array>;
}

/** Rows landed per UTC day (the processor's LANDED# counters). */
export interface LandedCountReader {
  landedCounts(pipelineId: number, sinceDt: string): Promise<{ dt: string; landed: number }[]>;
}

export type RequestStatus = 'landed' | 'rejected';

export interface RequestSummary {
  id: string;
  /** Unix seconds, as the sender was told. */
  ts: number;
  status: RequestStatus;
  reason: RejectionReason | null;
  method: string | null;
  contentType: string | null;
  /** Body size in bytes (UTF-8); null when the object was too large to read its bodies. */
  bytes: number | null;
}

export interface RequestDetail extends RequestSummary {
  /** The stored body text (rejected: its first 4 KiB), null when it could not be read within the bounds. */
  body: string | null;
  /** True when `body` is only the start of the body. */
  bodyTruncated: boolean;
  headers: CapturedHeaders | null;
  query: CapturedQuery | null;
}

/** Where a live poll left off: objects modified at or after `sinceMs` and not among `seen` are new. */
export interface RecentCursor {
  sinceMs: number;
  seen: string[];
}

export interface RecentRequests {
  requests: RequestSummary[];
  cursor: RecentCursor;
  /** New objects left unread by this call's bounds (a flood): the view skipped ahead to the newest. */
  skippedObjects: number;
}

/** Rows a live poll answers with at most (the API's `limit` bound). */
export const MAX_RECENT_ROWS = 200;
/** Objects a cursor remembers at most (the API refuses a cursor naming more). */
export const MAX_CURSOR_KEYS = 50;

export interface RequestInspector {
  recent(pipelineId: number, cursor: RecentCursor | undefined, limit: number): Promise<RecentRequests>;
  find(pipelineId: number, requestId: string): Promise<RequestDetail | undefined>;
  landedCounts(pipelineId: number, sinceDt: string): Promise<{ dt: string; landed: number }[]>;
}
