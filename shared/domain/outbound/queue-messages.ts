// The events queue (publishers → fan-out) carries two kinds of message, JSON, version 1:
//
//   {"v":1,"kind":"event","event":{"id","type","timestamp":<epoch ms>,"pipelineId"?,"data"}}
//       a new event to fan out to every matching subscription;
//   {"v":1,"kind":"delivery","deliveryId","subscriptionId","eventId","dueAt":<epoch ms>,"seq","manual"?}
//       one more attempt of an existing delivery: a scheduled retry, or a redelivery on demand.
//
// `seq` is the number of attempts the delivery had when the job was queued; the fan-out runs a
// job only while the stored delivery still has exactly that many (a duplicate or stale job is
// dropped), and writes the attempt with a condition on it, so two copies never both count.
// Also here: the ids the fan-out derives, the address key of the suspension rule, and the event
// data cap.
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import type { JsonValue } from './payload-encoding.ts';

/** Largest serialized `data` of one event (custom or built-in): fits an SQS message and a DynamoDB item. */
export const MAX_EVENT_DATA_BYTES = 256 * 1024;

export interface OutboundEvent {
  id: string;
  type: string;
  /** Epoch ms: the event's time (the envelope's `timestamp`). */
  timestamp: number;
  pipelineId?: number | undefined;
  data: JsonValue;
}

export interface EventMessage {
  v: 1;
  kind: 'event';
  event: OutboundEvent;
}

export interface DeliveryJob {
  v: 1;
  kind: 'delivery';
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  /** Epoch ms (fan-out clock) before which the attempt must not run. */
  dueAt: number;
  /** Attempts the delivery had when this job was queued. */
  seq: number;
  /** A redelivery asked for through the API: runs whatever the status, with a fresh retry budget, not held by a suspension. */
  manual?: boolean | undefined;
}

/** The job for a delivery's next attempt, due at `dueAt`, numbered by the attempts it has had. */
export function deliveryJob(
  delivery: { id: string; subscriptionId: string; eventId: string; attemptCount: number },
  dueAt: number,
  options: { manual?: boolean } = {},
): DeliveryJob {
  return {
    v: 1,
    kind: 'delivery',
    deliveryId: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    dueAt,
    seq: delivery.attemptCount,
    ...(options.manual === true ? { manual: true } : {}),
  };
}

export type QueueMessage = EventMessage | DeliveryJob;

const PRINTABLE_ID = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,255}$/));
const EPOCH_MS = v.pipe(v.number(), v.finite(), v.minValue(0));

const EventMessageSchema = v.object({
  v: v.literal(1),
  kind: v.literal('event'),
  event: v.object({
    id: PRINTABLE_ID,
    type: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
    timestamp: EPOCH_MS,
    pipelineId: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
    data: v.custom<JsonValue>((value) => value !== undefined, 'data is required'),
  }),
});

const DeliveryJobSchema = v.object({
  v: v.literal(1),
  kind: v.literal('delivery'),
  deliveryId: v.pipe(v.string(), v.regex(/^dlv_[0-9a-z]{9}[0-9a-f]{20}$/)),
  subscriptionId: PRINTABLE_ID,
  eventId: PRINTABLE_ID,
  dueAt: EPOCH_MS,
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  manual: v.optional(v.boolean()),
});

const QueueMessageSchema = v.variant('kind', [EventMessageSchema, DeliveryJobSchema]);

export class MalformedQueueMessageError extends Error {
  override name = 'MalformedQueueMessageError';
}

/** Parses an events-queue message; one that fails here never succeeds (it goes to the DLQ). */
export function parseQueueMessage(text: string): QueueMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedQueueMessageError('not JSON');
  }
  const result = v.safeParse(QueueMessageSchema, json);
  if (!result.success) {
    throw new MalformedQueueMessageError(result.issues.map((issue) => `${v.getDotPath(issue) ?? ''} ${issue.message}`).join('; '));
  }
  return result.output as QueueMessage;
}

export function serializeQueueMessage(message: QueueMessage): string {
  return JSON.stringify(message);
}

/** Bytes of the event's data as it travels (UTF-8 JSON). */
export function eventDataBytes(data: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

/**
 * A delivery's id: `dlv_` + the event time (epoch ms, 9 base-36 digits) + 20 hex of SHA-256 over
 * event id and subscription id. Derived, so a re-received event never creates a second delivery,
 * and ordered by event time, so a subscription's deliveries list by time with a key range.
 */
export function deliveryIdFor(eventId: string, subscriptionId: string, eventTimestampMs: number): string {
  const hash = createHash('sha256').update(`${eventId.length}:${eventId}${subscriptionId}`, 'utf8').digest('hex').slice(0, 20);
  return `${deliveryIdPrefixAt(eventTimestampMs)}${hash}`;
}

/** The id prefix of every delivery of an event at `epochMs`: bounds for a time-range query. */
export function deliveryIdPrefixAt(epochMs: number): string {
  const ms = Math.max(0, Math.min(Math.floor(epochMs), 36 ** 9 - 1));
  return `dlv_${ms.toString(36).padStart(9, '0')}`;
}

/** The event time encoded in a delivery id. */
export function deliveryIdTime(deliveryId: string): number {
  return parseInt(deliveryId.slice(4, 13), 36);
}

/**
 * The address the suspension rule counts per, as Kommo counts invalid responses "from that address"
 * (the webhook URL a subscription is configured with): SHA-256 hex of the subscription's normalised
 * URL (WHATWG: lowercase scheme and host, default port dropped, fragment removed). Subscriptions on
 * one host with different paths or queries do not share it, so one failing subscription on a shared
 * host (hooks.slack.com) cannot hold the others' retries; subscriptions with the same URL do. Hashed
 * so the DynamoDB key stays short and the URL (whose path or query can be a credential) is not
 * copied into more items.
 */
export function addressOf(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return createHash('sha256').update(parsed.href, 'utf8').digest('hex');
}
