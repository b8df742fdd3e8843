// The events queue (publishers → fan-out) carries three kinds of message, JSON, version 1:
//
//   {"v":1,"kind":"event","event":{"id","type","timestamp":<epoch ms>,"pipelineId"?,"dataJson":"<JSON text>"}}
//       a new event to fan out to every matching subscription. Its data travels as JSON TEXT (a
//       string holding JSON), never re-serialised on the way, so a webhook body spliced into it
//       reaches subscribers verbatim (big integers, key order, escapes). Messages of the earlier
//       shape, with `data` as a JSON value, are still read (JSON.stringify of that value);
//   {"v":1,"kind":"delivery","deliveryId","subscriptionId","eventId","dueAt":<epoch ms>,"seq","manual"?}
//       one more attempt of an existing delivery: a scheduled retry, or a redelivery on demand.
//       `subscriptionId` names the delivery's destination (`destinationId` in the code: a
//       subscription's `sub_…` or a sync's `syn_…`); the name stays so messages in flight across
//       a deploy keep their meaning.
//
//   {"v":1,"kind":"rejection_summary","pipelineId","windowStart","windowEnd"}
//       read a pipeline's rejection summary window and fan it out as one `webhook_rejected`
//       (queued by the processor, delayed until the window is complete).
//
// `seq` is the number of attempts the delivery had when the job was queued; the fan-out runs a
// job only while the stored delivery still has exactly that many (a duplicate or stale job is
// dropped), and writes the attempt with a condition on it, so two copies never both count.
// Also here: the ids the fan-out derives, the address key of the suspension rule, and the event
// data cap.
import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { parseQueueJson, queueSafeJson } from '../queue-safe-json.ts';

/**
 * Largest `dataJson` of one event (custom or built-in), in UTF-8 bytes: fits a DynamoDB item, and
 * an SQS message even when every character is escaped (at most 3x: a 4-byte character becomes
 * a 12-byte surrogate pair escape).
 */
export const MAX_EVENT_DATA_BYTES = 256 * 1024;

export interface OutboundEvent {
  id: string;
  type: string;
  /** Epoch ms: the event's time (the envelope's `timestamp`). */
  timestamp: number;
  pipelineId?: number | undefined;
  /** The envelope's `data` as JSON text, spliced into deliveries as it is. */
  dataJson: string;
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
  /** The subscription or sync the delivery goes to (`subscriptionId` on the wire). */
  destinationId: string;
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
  delivery: { id: string; destinationId: string; eventId: string; attemptCount: number },
  dueAt: number,
  options: { manual?: boolean } = {},
): DeliveryJob {
  return {
    v: 1,
    kind: 'delivery',
    deliveryId: delivery.id,
    destinationId: delivery.destinationId,
    eventId: delivery.eventId,
    dueAt,
    seq: delivery.attemptCount,
    ...(options.manual === true ? { manual: true } : {}),
  };
}

/** One pipeline's rejections of one summary window, to be read and sent as one `webhook_rejected`. */
export interface RejectionSummaryJob {
  v: 1;
  kind: 'rejection_summary';
  pipelineId: number;
  /** ISO 8601 UTC with milliseconds: the window the summary item covers. */
  windowStart: string;
  windowEnd: string;
}

export type QueueMessage = EventMessage | DeliveryJob | RejectionSummaryJob;

const PRINTABLE_ID = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,255}$/));
const EPOCH_MS = v.pipe(v.number(), v.finite(), v.minValue(0));

/** JSON text within the cap that parses; a message whose data is not is poison. */
const DATA_JSON = v.pipe(
  v.string(),
  v.check((text) => eventDataBytes(text) <= MAX_EVENT_DATA_BYTES, `dataJson is over ${MAX_EVENT_DATA_BYTES} bytes`),
  v.check(isJsonText, 'dataJson is not JSON text'),
);

const EventMessageSchema = v.object({
  v: v.literal(1),
  kind: v.literal('event'),
  event: v.pipe(
    v.object({
      id: PRINTABLE_ID,
      type: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
      timestamp: EPOCH_MS,
      pipelineId: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
      dataJson: v.optional(DATA_JSON),
      /** The earlier shape: data as a JSON value. */
      data: v.optional(v.unknown()),
    }),
    v.check((event) => (event.dataJson === undefined) !== (event.data === undefined), 'needs dataJson (or data), not both'),
    v.transform(({ data, dataJson, ...event }): OutboundEvent => ({ ...event, dataJson: dataJson ?? JSON.stringify(data) })),
  ),
});

/** A delivery job as it travels (`subscriptionId`: its destination, see the top of this file). */
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

const ISO_MS = v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/));

const RejectionSummaryJobSchema = v.object({
  v: v.literal(1),
  kind: v.literal('rejection_summary'),
  pipelineId: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  windowStart: ISO_MS,
  windowEnd: ISO_MS,
});

const QueueMessageSchema = v.pipe(
  v.variant('kind', [EventMessageSchema, DeliveryJobSchema, RejectionSummaryJobSchema]),
  v.transform((message): QueueMessage => {
    if (message.kind !== 'delivery') return message;
    const { subscriptionId, ...job } = message;
    return { ...job, destinationId: subscriptionId };
  }),
);

export class MalformedQueueMessageError extends Error {
  override name = 'MalformedQueueMessageError';
}

/** Parses an events-queue message; one that fails here never succeeds (it goes to the DLQ). */
export function parseQueueMessage(text: string): QueueMessage {
  return parseQueueJson(text, QueueMessageSchema, MalformedQueueMessageError);
}

/** The final, queue-safe text of a message (queue-safe-json.ts); parseQueueMessage gives the message back. */
export function serializeQueueMessage(message: QueueMessage): string {
  return queueSafeJson(JSON.stringify(message.kind === 'delivery' ? deliveryJobOnTheWire(message) : message));
}

/** A delivery job as it travels: its destination under `subscriptionId`, the fields in this order. */
function deliveryJobOnTheWire(job: DeliveryJob) {
  return {
    v: job.v,
    kind: job.kind,
    deliveryId: job.deliveryId,
    subscriptionId: job.destinationId,
    eventId: job.eventId,
    dueAt: job.dueAt,
    seq: job.seq,
    ...(job.manual === undefined ? {} : { manual: job.manual }),
  };
}

/** Bytes of an event's data as JSON text (UTF-8): what MAX_EVENT_DATA_BYTES caps. */
export function eventDataBytes(dataJson: string): number {
  return Buffer.byteLength(dataJson, 'utf8');
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A delivery's id: `dlv_` + the event time (epoch ms, 9 base-36 digits) + 20 hex of SHA-256 over
 * event id and destination id. Derived, so a re-received event never creates a second delivery,
 * and ordered by event time, so a destination's deliveries list by time with a key range.
 */
export function deliveryIdFor(eventId: string, destinationId: string, eventTimestampMs: number): string {
  const hash = createHash('sha256').update(`${eventId.length}:${eventId}${destinationId}`, 'utf8').digest('hex').slice(0, 20);
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
