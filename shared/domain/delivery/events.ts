// The outbound event catalogue (what the events endpoint lists, Kadoa-style), the rule for custom
// event type names, the delivery envelope, and which subscriptions an event goes to.
import { createHash } from 'node:crypto';
import type { JsonValue } from '../json.ts';
import { REJECTION_REASONS } from '../ingest/records.ts';
import { parseJsonKeepingNumberText } from './payload-encoding.ts';

export type BuiltInEventType = 'webhook_received' | 'batch_landed' | 'webhook_rejected' | 'ping';

export interface EventDefinition {
  type: BuiltInEventType;
  description: string;
  /** `ping` is sent on demand (connection test) to one subscription; it cannot be subscribed to. */
  subscribable: boolean;
  /** An example of the envelope's `data` for this event. */
  exampleData: JsonValue;
}

/** The built-in events, in the order the events endpoint lists them. */
export const EVENT_CATALOGUE: readonly EventDefinition[] = [
  {
    type: 'webhook_received',
    description: 'An inbound webhook was authenticated and accepted for a pipeline (one event per request).',
    subscribable: true,
    exampleData: {
      pipelineId: 835212,
      requestId: 'qwertyuiopasdfghjklz',
      requestUnixTimestamp: 1577015690.311863,
      requesterKey: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      format: 'json',
      body: { order_id: 1234, status: 'paid' },
      objectKey: 'webhooks/pipeline_id=835212/dt=2019-12-22/5d41402abc4b2a76b9719d911017c592.parquet',
    },
  },
  {
    type: 'batch_landed',
    description: 'A batch of accepted requests was written to the lake as one Parquet object.',
    subscribable: true,
    exampleData: {
      pipelineId: 835212,
      dt: '2019-12-22',
      objectKey: 'webhooks/pipeline_id=835212/dt=2019-12-22/5d41402abc4b2a76b9719d911017c592.parquet',
      rows: 42,
      firstRequestUnixTimestamp: 1577015690.311863,
      lastRequestUnixTimestamp: 1577015698.004512,
    },
  },
  {
    type: 'webhook_rejected',
    description:
      'Inbound webhooks to an existing pipeline failed the later authentication or signature check and were quarantined: ' +
      'at most one event per pipeline per minute, with counts per reason ' +
      `(${REJECTION_REASONS.filter((reason) => reason !== 'unknown_pipeline').join(', ')}) and up to 5 sample request ids.`,
    subscribable: true,
    exampleData: {
      pipelineId: 835212,
      windowStart: '2019-12-22T11:54:00.000Z',
      windowEnd: '2019-12-22T11:55:00.000Z',
      total: 3,
      byReason: { wrong_token: 2, unknown_key: 1 },
      sampleRequestIds: ['zlkjhgfdsapoiuytrewq', 'mnbvcxzlkjhgfdsapoiu', 'qazwsxedcrfvtgbyhnuj'],
    },
  },
  {
    type: 'ping',
    description: 'Connection test sent when a subscription is created or on request; answer 2xx to pass.',
    subscribable: false,
    exampleData: { subscriptionId: 'sub_7f3a9c2e', message: 'Hooklake connection test' },
  },
];

const BUILT_IN = new Map(EVENT_CATALOGUE.map((definition) => [definition.type, definition]));

/** Custom event type names: lowercase, start with a letter, up to 64 characters of `a-z 0-9 _ . -`. */
export const CUSTOM_EVENT_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;
/** Prefix kept for future built-in events. */
export const RESERVED_PREFIX = 'hooklake.';

/**
 * Internal event type of one sync row-op (shared/domain/sync/). Its data is the delivery's whole
 * payload, sent without the envelope (`raw`). The reserved prefix keeps it out of custom events
 * and subscriptions, so only the sync that enqueues its deliveries ever sends one.
 */
export const SYNC_ROW_EVENT_TYPE = 'hooklake.sync_row';

/** Event types whose data is the payload itself, not wrapped in `{type, id, timestamp, data}`. */
export const isRawPayloadEventType = (type: string) => type === SYNC_ROW_EVENT_TYPE;

export function isBuiltInEventType(type: string): type is BuiltInEventType {
  return BUILT_IN.has(type as BuiltInEventType);
}

export type EventTypeProblem = 'bad_format' | 'built_in' | 'reserved_prefix' | 'not_subscribable';

/**
 * Whether a name is usable as a custom event type: it must match `CUSTOM_EVENT_TYPE` and neither be
 * a built-in name nor start with `hooklake.`, so custom events can never be mistaken for ours.
 */
export function customEventTypeProblem(name: string): EventTypeProblem | undefined {
  if (!CUSTOM_EVENT_TYPE.test(name)) return 'bad_format';
  if (isBuiltInEventType(name)) return 'built_in';
  if (name.startsWith(RESERVED_PREFIX)) return 'reserved_prefix';
  return undefined;
}

/**
 * Why a subscription may not list this event, or undefined when it may: subscribable built-ins and
 * valid custom names are fine; `ping` is not subscribable.
 */
export function subscriptionEventProblem(type: string): EventTypeProblem | undefined {
  const builtIn = BUILT_IN.get(type as BuiltInEventType);
  if (builtIn !== undefined) return builtIn.subscribable ? undefined : 'not_subscribable';
  return customEventTypeProblem(type);
}

const EVENT_TYPE_PROBLEMS: Record<EventTypeProblem, (type: string) => string> = {
  bad_format: (type) =>
    `${JSON.stringify(type)} is not a valid event type: a lowercase letter, then up to 63 of a-z 0-9 _ . -`,
  built_in: (type) => `${type} is a built-in event: Hooklake publishes it itself; pick another name for a custom event`,
  reserved_prefix: (type) => `${type}: event types starting with "hooklake." are reserved`,
  not_subscribable: (type) => `${type} cannot be subscribed to: it is sent only by the connection test`,
};

/**
 * Why `type` cannot be subscribed to (`subscribe`) or published as a custom event (`publish`),
 * in words for the caller; undefined when it can.
 */
export function eventTypeRefusal(type: string, use: 'subscribe' | 'publish'): string | undefined {
  const problem = use === 'subscribe' ? subscriptionEventProblem(type) : customEventTypeProblem(type);
  return problem === undefined ? undefined : EVENT_TYPE_PROBLEMS[problem](type);
}

/**
 * One event as every subscriber receives it: `{type, id, timestamp, data}`, keys always in this
 * order. `data` stays JSON text (`dataJson`) and is spliced into the body as it is, so a webhook
 * body inside it keeps its exact text (big integers, key order, escapes).
 */
export interface DeliveryEnvelope {
  type: string;
  id: string;
  /** ISO 8601 UTC with milliseconds, e.g. `2019-12-22T11:54:50.311Z`. */
  timestamp: string;
  /** The envelope's `data` as JSON text. */
  dataJson: string;
  /** Deliver `dataJson` itself as the payload, without the envelope (sync row-ops). */
  raw?: boolean | undefined;
}

/** An envelope as a JSON value (what the events endpoint shows as an example). */
export interface EnvelopeValue {
  type: string;
  id: string;
  timestamp: string;
  data: JsonValue;
}

const EVENT_ID = /^[\x21-\x7e]{1,255}$/;

/**
 * The delivery envelope. `timestamp` is the event time from the injected clock (epoch ms or a
 * Date); `id` is the event's id, the same for every subscriber; `dataJson` must be JSON text.
 */
export function buildEnvelope(input: { type: string; id: string; timestamp: number | Date; dataJson: string }): DeliveryEnvelope {
  const raw = isRawPayloadEventType(input.type);
  if (!raw && !isBuiltInEventType(input.type) && customEventTypeProblem(input.type) !== undefined) {
    throw new RangeError(`'${input.type}' is neither a built-in event nor a valid custom event type`);
  }
  if (!EVENT_ID.test(input.id)) throw new RangeError('an event id is 1 to 255 printable ASCII characters without spaces');
  const time = input.timestamp instanceof Date ? input.timestamp : new Date(input.timestamp);
  if (Number.isNaN(time.getTime())) throw new RangeError('the event timestamp is not a valid time');
  return { type: input.type, id: input.id, timestamp: time.toISOString(), dataJson: input.dataJson, ...(raw ? { raw: true } : {}) };
}

/** The JSON body of a POST `json` delivery: the data text spliced in, never re-serialised. */
export function envelopeJson(envelope: DeliveryEnvelope): string {
  return (
    `{"type":${JSON.stringify(envelope.type)},"id":${JSON.stringify(envelope.id)},` +
    `"timestamp":${JSON.stringify(envelope.timestamp)},"data":${envelope.dataJson}}`
  );
}

/**
 * The envelope as a value for the GET and form encodings, its numbers kept as their source text
 * (`parseJsonKeepingNumberText`), so `data_body_order_id=987` and big integers keep their digits.
 * Throws PayloadEncodingError when the data nests too deep.
 */
export function envelopeForEncoding(envelope: DeliveryEnvelope): { type: string; id: string; timestamp: string; data: unknown } {
  return { type: envelope.type, id: envelope.id, timestamp: envelope.timestamp, data: parseJsonKeepingNumberText(envelope.dataJson) };
}

/** An example envelope per built-in event, for the events endpoint and the docs. */
export function exampleEnvelope(definition: EventDefinition): EnvelopeValue {
  const envelope = buildEnvelope({
    type: definition.type,
    id: 'evt_01hzx3k9q7m2b8c4d6f0g1h2j3',
    timestamp: Date.UTC(2019, 11, 22, 11, 54, 50, 311),
    dataJson: JSON.stringify(definition.exampleData),
  });
  return { type: envelope.type, id: envelope.id, timestamp: envelope.timestamp, data: definition.exampleData };
}

export interface SubscriptionFilter {
  events: readonly string[];
  /** Only events of this pipeline; absent = every pipeline. */
  pipelineId?: number;
  enabled: boolean;
}

/**
 * Whether an event goes to a subscription: it must be enabled, list the event's type, and (when it
 * is limited to a pipeline) the event must belong to that pipeline. `ping` is never matched: it
 * is addressed to one subscription directly.
 */
export function matchesSubscription(subscription: SubscriptionFilter, event: { type: string; pipelineId?: number }): boolean {
  if (!subscription.enabled || event.type === 'ping') return false;
  if (!subscription.events.includes(event.type)) return false;
  if (subscription.pipelineId === undefined) return true;
  return event.pipelineId === subscription.pipelineId;
}

/**
 * The `webhook-id` of one event's delivery to one destination: derived, so every retry (and any
 * re-enqueue of the same delivery) carries the same id and receivers can de-duplicate.
 */
export function deliveryMessageId(eventId: string, destinationId: string): string {
  return `msg_${createHash('sha256').update(`${eventId.length}:${eventId}${destinationId}`, 'utf8').digest('hex').slice(0, 32)}`;
}
