// The contract between the management API (and CLI) and the outbound delivery engine.
// The API validates and shapes requests; everything that touches subscriptions, events and
// deliveries goes through `OutboundService` (implemented in shared/services/outbound.ts).
import type { AttemptEntry } from '../domain/delivery/log.ts';
import type { JsonValue } from '../domain/json.ts';
import type { Page, PageRequest } from './page.ts';

export type DeliveryMethod = 'POST' | 'GET';
export type BodyFormat = 'json' | 'form';

export interface SubscriptionInput {
  webhookUrl: string;
  webhookHttpMethod: DeliveryMethod;
  events: string[];
  /** Only events of this pipeline; absent = every pipeline (and events without one). */
  pipelineId?: number | undefined;
  description?: string | undefined;
  /** Extra request headers (header-policy.ts decides which names); values are encrypted at rest. */
  headers?: Record<string, string> | undefined;
  /** POST body format; ignored for GET. Default json. */
  format?: BodyFormat | undefined;
  /** Default true. */
  enabled?: boolean | undefined;
}

/** A subscription as the API shows it: never the secret, never a custom header's value. */
export interface Subscription {
  id: string;
  webhookUrl: string;
  webhookHttpMethod: DeliveryMethod;
  events: string[];
  pipelineId?: number | undefined;
  description?: string | undefined;
  /** Names of the custom headers, as given; their values are write-only (usually a credential). */
  headerNames: string[];
  format: BodyFormat;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export type DeliveryAttempt = AttemptEntry;

export interface Delivery {
  id: string;
  subscriptionId: string;
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

export interface EventTypeInfo {
  type: string;
  description: string;
  subscribable: boolean;
  /** A full example delivery envelope. */
  example: JsonValue;
}

export interface PublishedEvent {
  id: string;
  type: string;
  timestamp: string;
  /** How many subscriptions it matched when it was fanned out (known only once fanned out). */
  matched?: number | undefined;
}

export interface ConnectionTestResult {
  ok: boolean;
  statusCode?: number | undefined;
  latencyMs: number;
  errorClass?: string | undefined;
  responseSnippet?: string | undefined;
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

/** Typed failures the API maps to documented error codes. */
export class OutboundError extends Error {
  override name = 'OutboundError';
  readonly code:
    | 'NOT_FOUND'
    | 'CONFLICT' // changed by a concurrent update since it was read: read it again and retry
    | 'INVALID_TARGET' // URL refused: scheme, credentials, private/loopback/metadata address (SSRF)
    | 'INVALID_EVENT_TYPE'
    | 'PAYLOAD_TOO_LARGE';
  constructor(code: OutboundError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface OutboundService {
  /** Checks the URL (including DNS resolution) against the SSRF rules; returns the secret once. */
  createSubscription(input: SubscriptionInput): Promise<{ subscription: Subscription; secret: string }>;
  /** A page in id order (`after`: a subscription id). */
  listSubscriptions(page: PageRequest): Promise<Page<Subscription>>;
  getSubscription(id: string): Promise<Subscription | undefined>;
  /** Partial update (e.g. enabled, events, description). */
  updateSubscription(id: string, changes: Partial<SubscriptionInput>): Promise<Subscription>;
  /** Returns false when there was nothing to delete. */
  deleteSubscription(id: string): Promise<boolean>;
  /** Sends a signed `ping` synchronously and reports how the endpoint answered. */
  testSubscription(id: string): Promise<ConnectionTestResult>;

  listEventTypes(): EventTypeInfo[];
  /** Publishes a custom event (or, internally, a built-in one) for fan-out. */
  publishEvent(type: string, data: JsonValue, options?: { pipelineId?: number | undefined }): Promise<PublishedEvent>;

  /** A page of the delivery log, newest first (`next`: a delivery id, for `query.after`). */
  listDeliveries(subscriptionId: string, query?: DeliveryQuery): Promise<Page<Delivery>>;
  getDelivery(subscriptionId: string, deliveryId: string): Promise<Delivery | undefined>;
  /** Queues one more attempt of a delivery (any status); attempts continue its log. */
  redeliver(subscriptionId: string, deliveryId: string): Promise<Delivery>;
  /** Queues every `failed` delivery of a subscription created within [from, to]. */
  redeliverFailed(subscriptionId: string, range: { from: string; to: string }): Promise<{ queued: number }>;
}
