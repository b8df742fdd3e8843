// What the processor keeps about rejected requests (docs/design.md): counters per pipeline and
// day, one shared bucket for pipelines that do not exist, a bounded quarantine record per request,
// and per-window summaries behind the aggregated `webhook_rejected` event. Sizes are bounded by
// the rules here, whatever a sender posts or how many random pipeline ids it tries.
import type { RejectionReason } from './records.ts';
import type { CapturedHeaders, CapturedQuery } from './request-capture.ts';

/** Rejections for a pipeline id that does not exist are counted and quarantined under this one name. */
export const UNKNOWN_PIPELINE_BUCKET = 'unknown';

/** Where a rejected request is counted and quarantined: its pipeline when that exists, else the shared bucket. */
export type RejectionBucket = number | typeof UNKNOWN_PIPELINE_BUCKET;

export function rejectionBucketOf(pipelineId: number, pipelineExists: boolean): RejectionBucket {
  return pipelineExists ? pipelineId : UNKNOWN_PIPELINE_BUCKET;
}

/** Daily counters expire (DynamoDB TTL) this many days after their day ends. */
export const REJECTION_COUNTS_RETENTION_DAYS = 90;

const DAY_SECONDS = 86_400;

/** `expiresAt` (epoch seconds) of the counter item of UTC day `dt` (YYYY-MM-DD). */
export function dailyCountsExpiresAt(dt: string): number {
  return Date.parse(`${dt}T00:00:00.000Z`) / 1000 + (1 + REJECTION_COUNTS_RETENTION_DAYS) * DAY_SECONDS;
}

export type RejectionCountsByReason = Partial<Record<RejectionReason, number>>;

export function countByReason(reasons: Iterable<RejectionReason>): RejectionCountsByReason {
  const counts: RejectionCountsByReason = {};
  for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

// --- Quarantine: a bounded record per rejected request, never its whole body ---

/** Bytes of a rejected body kept in quarantine. */
export const QUARANTINE_BODY_PREFIX_BYTES = 4096;

/** One JSON line of a quarantine object: who, when, why, and a bounded look at the body. */
export interface QuarantineRecord {
  id: string;
  ts: number;
  key: string;
  pipelineId: number;
  reason: RejectionReason;
  format: string;
  /** The request's method, captured headers and query data parameters, as they would have landed (absent for messages that predate them). */
  method?: string | undefined;
  headers?: CapturedHeaders | undefined;
  query?: CapturedQuery | undefined;
  /** The provider's delivery id, as the row would have had it (null: none; absent in lines written before it). */
  deliveryId?: string | null | undefined;
  /** Size of the whole body in bytes (UTF-8). */
  bodyBytes: number;
  /** The body's first bytes (at most QUARANTINE_BODY_PREFIX_BYTES, cut before a split character). */
  bodyPrefix: string;
  /** Where the whole body waits when it was claim-checked (expires with claims/, 7 days). */
  bodyRef?: { bucket: string; key: string } | undefined;
}

/** The longest prefix of UTF-8 `bytes` that is at most `maxBytes` long and ends on a character boundary. */
export function utf8Prefix(bytes: Uint8Array, maxBytes: number): string {
  let end = Math.min(bytes.length, maxBytes);
  // Step back over continuation bytes (10xxxxxx) to the start of the character the cut would split,
  // unless that character ends exactly at `end`.
  if (end < bytes.length) {
    let start = end;
    while (start > 0 && (bytes[start]! & 0xc0) === 0x80) start--;
    end = start;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('utf8');
}

/** `utf8Prefix` of a string, reading no more of it than the prefix can hold. */
export function textPrefix(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at least one UTF-8 byte, so the first maxBytes units hold the prefix; a
  // high surrogate cut from its pair would encode as U+FFFD, so it is left out.
  let head = text.slice(0, maxBytes);
  if (head.length > 0 && /[\uD800-\uDBFF]$/.test(head) && text.length > head.length) head = head.slice(0, -1);
  return utf8Prefix(Buffer.from(head, 'utf8'), maxBytes);
}

// --- Aggregated webhook_rejected: one summary per pipeline and window ---

/** Length of a summary window: at most one `webhook_rejected` event per pipeline per window. */
export const REJECTION_SUMMARY_WINDOW_SECONDS = 60;
/** Request ids a summary carries as samples (the first ones counted in its window). */
export const SUMMARY_SAMPLE_LIMIT = 5;
/** Summary items are kept as long as the events DLQ keeps a summary message that points at them. */
export const SUMMARY_RETENTION_DAYS = 14;

export interface SummaryWindow {
  /** ISO 8601 UTC with milliseconds, e.g. `2026-11-20T10:15:00.000Z`. */
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}

/** The window of `windowSeconds` (aligned to the epoch) that contains `nowMs`. */
export function summaryWindowAt(nowMs: number, windowSeconds = REJECTION_SUMMARY_WINDOW_SECONDS): SummaryWindow {
  const lengthMs = windowSeconds * 1000;
  const startMs = Math.floor(nowMs / lengthMs) * lengthMs;
  const endMs = startMs + lengthMs;
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), startMs, endMs };
}

/**
 * Seconds from `nowMs` until the window's summary is read: a quarter window after it ends (15 s for
 * a minute), so counts added by batches that started inside the window are in.
 */
export function summaryDelaySeconds(window: SummaryWindow, nowMs: number): number {
  const graceMs = (window.endMs - window.startMs) / 4;
  return Math.min(900, Math.max(0, Math.ceil((window.endMs + graceMs - nowMs) / 1000)));
}

/** `expiresAt` (epoch seconds) of a summary item. */
export function summaryExpiresAt(window: SummaryWindow): number {
  return Math.ceil(window.endMs / 1000) + SUMMARY_RETENTION_DAYS * DAY_SECONDS;
}

/** What a summary window holds when the fan-out reads it. */
export interface RejectionSummary {
  pipelineId: number;
  windowStart: string;
  windowEnd: string;
  total: number;
  byReason: RejectionCountsByReason;
  sampleRequestIds: string[];
}
