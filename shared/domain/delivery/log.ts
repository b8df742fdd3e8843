// One delivery = one event to one destination (a subscription or a sync). Its record holds the attempt log and the retry
// budget; `recordAttempt` is the whole state machine:
//
//   pending ──valid──▶ succeeded
//      │  └─invalid, retryable, budget left──▶ pending (nextAttemptAt = schedule, held past a suspension)
//      └────invalid, not retryable or budget spent──▶ failed
//
// The retry budget is Kommo's: 4 retries within one hour of the first attempt (retry-policy.ts).
// A redelivery on demand starts a fresh budget (`windowAttempts` back to 0) while the log and the
// attempt numbering continue.
import { deliveryMessageId } from './events.ts';
import { deliveryIdFor } from './queue-messages.ts';
import type { Classification } from './retry-policy.ts';
import { nextAttempt } from './retry-policy.ts';
import { retryNotBefore, type SuspensionState } from './suspension.ts';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** Longest response snippet kept per attempt, in UTF-8 bytes. */
export const SNIPPET_BYTES = 1024;
/** Attempts kept in the log of one delivery (numbering continues when older ones are dropped). */
export const MAX_LOGGED_ATTEMPTS = 50;

/** One attempt in a delivery's log, as the API shows it (ports/delivery.ts `DeliveryAttempt`). */
export interface AttemptEntry {
  /** 1-based; a redelivery continues the numbering. */
  number: number;
  at: string;
  /** HTTP status when the endpoint answered. */
  statusCode?: number | undefined;
  latencyMs: number;
  ok: boolean;
  /** Why an attempt was invalid: http_status, timeout, connection, redirect, blocked_address, url_too_long, ... */
  errorClass?: string | undefined;
  /** First bytes of the response body (bounded, UTF-8, may be cut). */
  responseSnippet?: string | undefined;
}

export interface DeliveryRecord {
  id: string;
  /** The subscription or sync it goes to (destinations.ts). */
  destinationId: string;
  eventId: string;
  eventType: string;
  webhookId: string;
  /** The suspension address of the destination's URL when the delivery was made (queue-messages.ts `addressOf`). */
  address: string;
  status: DeliveryStatus;
  /** ISO: the event's time (deliveries are ordered and filtered by it). */
  createdAt: string;
  updatedAt: string;
  nextAttemptAt?: string | undefined;
  attempts: AttemptEntry[];
  /** Every attempt ever made (the log may hold fewer). The conditional-write guard. */
  attemptCount: number;
  /** Epoch ms of the first attempt of the current retry budget. */
  windowStartAt?: number | undefined;
  /** Attempts made in the current retry budget. */
  windowAttempts: number;
  /** Epoch seconds after which the record is gone (DynamoDB TTL; also checked on read). */
  expiresAt: number;
}

/** What one attempt produced; a local refusal (encoding) is a Classification too. */
export interface AttemptResult {
  at: number;
  latencyMs: number;
  statusCode?: number | undefined;
  classification: Classification | LocalFailure;
  responseSnippet?: string | undefined;
}

/** The request could not be built (e.g. a key collision in the GET/form encoding): never retried. */
export interface LocalFailure {
  valid: false;
  errorClass: string;
  retryable: false;
  countsTowardSuspension: false;
}

export interface AttemptContext {
  /** Suspension state of the address after this attempt was counted. */
  suspension: SuspensionState;
  random: () => number;
}

export interface AttemptApplied {
  record: DeliveryRecord;
  /** Epoch ms of the next attempt when one is scheduled. */
  retryAt?: number | undefined;
}

/**
 * The delivery of one event to one destination, before any attempt. Its id and its `webhook-id`
 * derive from the event and the destination (queue-messages.ts `deliveryIdFor`, events.ts
 * `deliveryMessageId`), so the same event planned again for the same destination is the same
 * delivery: a re-received event, a re-published one, or a sync chunk enqueued again.
 */
export function plannedDelivery(
  event: { id: string; type: string; timestamp: number },
  /** `address`: the suspension address of the destination's URL (queue-messages.ts `addressOf`). */
  destination: { id: string; address: string },
  options: { now: number; retentionDays: number },
): DeliveryRecord {
  return {
    id: deliveryIdFor(event.id, destination.id, event.timestamp),
    destinationId: destination.id,
    eventId: event.id,
    eventType: event.type,
    webhookId: deliveryMessageId(event.id, destination.id),
    address: destination.address,
    status: 'pending',
    createdAt: new Date(event.timestamp).toISOString(),
    updatedAt: new Date(options.now).toISOString(),
    attempts: [],
    attemptCount: 0,
    windowAttempts: 0,
    expiresAt: expiresAtFor(options.now, options.retentionDays),
  };
}

export function expiresAtFor(now: number, retentionDays: number): number {
  return Math.floor(now / 1000) + retentionDays * 86_400;
}

export function isExpired(record: { expiresAt: number }, now: number): boolean {
  return record.expiresAt * 1000 <= now;
}

/** Applies one attempt's result: logs it and decides succeeded / failed / pending with the next time. */
export function recordAttempt(record: DeliveryRecord, result: AttemptResult, context: AttemptContext): AttemptApplied {
  const now = result.at;
  const number = record.attemptCount + 1;
  const windowStartAt = record.windowAttempts === 0 || record.windowStartAt === undefined ? now : record.windowStartAt;
  const windowAttempts = record.windowAttempts + 1;
  const { classification } = result;
  const entry: AttemptEntry = {
    number,
    at: new Date(now).toISOString(),
    ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
    latencyMs: Math.round(result.latencyMs),
    ok: classification.valid,
    ...(classification.valid ? {} : { errorClass: classification.errorClass }),
    ...(result.responseSnippet !== undefined && result.responseSnippet !== '' ? { responseSnippet: result.responseSnippet } : {}),
  };
  const base: DeliveryRecord = {
    ...record,
    attempts: [...record.attempts, entry].slice(-MAX_LOGGED_ATTEMPTS),
    attemptCount: number,
    windowStartAt,
    windowAttempts,
    updatedAt: entry.at,
    nextAttemptAt: undefined,
  };
  if (classification.valid) return { record: { ...base, status: 'succeeded' } };
  if (!classification.retryable) return { record: { ...base, status: 'failed' } };
  const next = nextAttempt({ attemptNumber: windowAttempts, firstAttemptAt: windowStartAt, now, random: context.random });
  if (next.kind === 'exhausted') return { record: { ...base, status: 'failed' } };
  const retryAt = retryNotBefore(context.suspension, now, next.at, context.random);
  return { record: { ...base, status: 'pending', nextAttemptAt: new Date(retryAt).toISOString() }, retryAt };
}

/** The first `SNIPPET_BYTES` of a response body as text (a cut multi-byte character is dropped). */
export function snippetOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, SNIPPET_BYTES)).toString('utf8');
  return text.endsWith('\uFFFD') && bytes.byteLength >= SNIPPET_BYTES ? text.replace(/\uFFFD+$/, '') : text;
}
