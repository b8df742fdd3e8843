// The delivery engine's ports. A destination is where it delivers: a subscription (events are
// matched to it) or a sync (its runs' row-ops are addressed to it); deliveries, signing secrets,
// retries and the delivery log are the same for both (domain/delivery/destinations.ts).
// Implementations: shared/adapters/dynamodb/, sqs/, crypto/, http/; in memory: adapters/memory/.
import type { AttemptEntry, DeliveryRecord, DeliveryStatus } from '../domain/delivery/log.ts';
import type { DeliveryRequest } from '../domain/delivery/request.ts';
import type { OutboundEvent } from '../domain/delivery/queue-messages.ts';
import type { AttemptOutcome } from '../domain/delivery/retry-policy.ts';
import type { SuspensionState } from '../domain/delivery/suspension.ts';
import type { Page } from './page.ts';

export type { DeliveryStatus };
export type DeliveryMethod = 'POST' | 'GET';
export type BodyFormat = 'json' | 'form';

// ---------------------------------------------------------------- destinations

/** Where and how to deliver, as the engine reads it: never a secret in the clear. */
export interface Destination {
  /** `sub_…` or `syn_…`. */
  id: string;
  webhookUrl: string;
  webhookHttpMethod: DeliveryMethod;
  format: BodyFormat;
  /** A disabled destination's pending retries end (a redelivery on demand still runs). */
  enabled: boolean;
  /** SecretCipher output (`aesgcm:v1:...` or `kms:v1:...`), bound to the destination's id. */
  secretCiphertext: string;
  /** SecretCipher output of the custom headers as a JSON object; absent when there are none. */
  headersCiphertext?: string | undefined;
  /** Custom headers of an item written before they were encrypted: read, never written again. */
  plaintextHeaders?: Record<string, string> | undefined;
}

/** A subscription as the engine sees it: a destination with the filter events are matched by. */
export interface SubscribedDestination extends Destination {
  events: readonly string[];
  /** Only events of this pipeline; absent = every pipeline. */
  pipelineId?: number | undefined;
}

/** What the directory reads destinations from (the subscription and sync stores). */
export interface DestinationSource {
  /** Every subscription, in id order: the destinations events are matched to. */
  subscriptions(): Promise<SubscribedDestination[]>;
  /** One destination of either kind. */
  get(id: string): Promise<Destination | undefined>;
}

/** The destinations as the fan-out and the processor see them: cached, with their secrets opened. */
export interface DestinationDirectory extends DestinationSource {
  /** The decrypted signing secret; never logged. */
  secretOf(destination: Destination): Promise<string>;
  /** The decrypted custom headers (name → value); never logged. */
  headersOf(destination: Destination): Promise<Record<string, string>>;
}

// ---------------------------------------------------------------- events and deliveries

export interface StoredEvent extends OutboundEvent {
  /** Epoch seconds (TTL, checked on read). */
  expiresAt: number;
}

/** Event payloads kept for retries and redelivery. */
export interface EventStore {
  /** Conditional on absence: true when stored now, false when the event was already stored (re-received or re-published). */
  put(event: StoredEvent): Promise<boolean>;
  get(id: string): Promise<StoredEvent | undefined>;
}

export interface DeliveryListQuery {
  /** Inclusive bounds on the delivery id (ids sort by event time). */
  fromId?: string | undefined;
  toId?: string | undefined;
  status?: DeliveryStatus | undefined;
  /** At most this many records (a page). */
  limit: number;
  /** Exclusive start: only deliveries after this id in the listing order (the last id of the previous page). */
  afterId?: string | undefined;
  /** Newest first when true. */
  descending: boolean;
  /** Epoch ms: records expired at this time are left out. */
  now: number;
}

/** One delivery of one destination. */
export interface DeliveryKey {
  destinationId: string;
  deliveryId: string;
}

export interface DeliveryStore {
  /** Conditional on absence; false when the delivery already exists. */
  create(record: DeliveryRecord): Promise<boolean>;
  get(destinationId: string, deliveryId: string): Promise<DeliveryRecord | undefined>;
  /** Several at once (missing ones are left out). */
  getMany(keys: readonly DeliveryKey[]): Promise<DeliveryRecord[]>;
  /** Conditional on the stored attemptCount; false when another writer got there first. */
  replace(record: DeliveryRecord, expectedAttemptCount: number): Promise<boolean>;
  /** Up to `query.limit` records of the destination in id order (fewer only at the end); page on with `afterId`. */
  list(destinationId: string, query: DeliveryListQuery): Promise<DeliveryRecord[]>;
}

export interface SuspensionStore {
  /** The stored state, or the empty state (version 0) when there is none. */
  get(address: string): Promise<SuspensionState>;
  /** Conditional on `expectedVersion` (0 = absent); false on conflict. */
  put(address: string, state: SuspensionState, expectedVersion: number): Promise<boolean>;
}

export interface QueueEntry {
  body: string;
  delaySeconds?: number | undefined;
}

export interface EventsQueue {
  /** Resolves when every entry is on the queue; rejects if any is not. */
  send(entries: readonly QueueEntry[]): Promise<void>;
}

// ---------------------------------------------------------------- sending and secrets

export interface SendResult {
  outcome: AttemptOutcome;
  /** Until the response headers arrived (or the failure). */
  latencyMs: number;
  statusCode?: number | undefined;
  responseSnippet?: string | undefined;
}

export interface HttpSender {
  send(request: DeliveryRequest): Promise<SendResult>;
}

/**
 * Encrypts signing secrets and custom header values at rest, each bound to the id of what it
 * belongs to (a destination's, or a pipeline's verification secrets): a ciphertext copied onto
 * another id does not decrypt (AAD locally, the KMS EncryptionContext on AWS).
 */
export interface SecretCipher {
  encrypt(plaintext: string, boundTo: string): Promise<string>;
  decrypt(ciphertext: string, boundTo: string): Promise<string>;
}

/** DNS: every address a hostname resolves to. */
export type Resolve = (hostname: string) => Promise<string[]>;

// ---------------------------------------------------------------- what the API shows

export type DeliveryAttempt = AttemptEntry;

/** A delivery as the API shows it (a subscription's or a sync's: the log is the same). */
export interface Delivery {
  id: string;
  destinationId: string;
  eventId: string;
  eventType: string;
  /** Standard Webhooks `webhook-id`: the same for every attempt of this delivery. */
  webhookId: string;
  status: DeliveryStatus;
  createdAt: string;
  updatedAt: string;
  /** When the next retry is due, while pending. */
  nextAttemptAt?: string | undefined;
  attempts: DeliveryAttempt[];
}

export interface DeliveryQuery {
  /** Default DEFAULT_LIST_LIMIT, at most MAX_LIST_LIMIT. */
  limit?: number | undefined;
  /** Exclusive start: only deliveries older than this one (the previous page's `next`). */
  after?: string | undefined;
  status?: DeliveryStatus | undefined;
  /** ISO times bounding createdAt, inclusive. */
  from?: string | undefined;
  to?: string | undefined;
}

/** A destination's delivery log and its redelivery; the destination's id comes first in every call. */
export interface DeliveryLog {
  /** A page of the log, newest first (`next`: a delivery id, for `query.after`); NOT_FOUND for an unknown destination. */
  listDeliveries(destinationId: string, query?: DeliveryQuery): Promise<Page<Delivery>>;
  getDelivery(destinationId: string, deliveryId: string): Promise<Delivery | undefined>;
  /** Queues one more attempt of a delivery (any status, same `webhook-id`); attempts continue its log. */
  redeliver(destinationId: string, deliveryId: string): Promise<Delivery>;
  /** Queues every `failed` delivery of the destination created within [from, to]. */
  redeliverFailed(destinationId: string, range: { from: string; to: string }): Promise<{ queued: number }>;
}

/** How an endpoint answered a signed `ping` (the connection test). */
export interface ConnectionTestResult {
  ok: boolean;
  statusCode?: number | undefined;
  latencyMs: number;
  errorClass?: string | undefined;
  responseSnippet?: string | undefined;
}
