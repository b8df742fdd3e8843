// Subscriptions: URLs subscribed to events, one kind of destination of the delivery engine
// (ports/delivery.ts). `SubscriptionService` is what the management API and the CLI call
// (shared/services/subscriptions/); `SubscriptionStore` is where subscriptions are kept.
import type { JsonValue } from '../domain/json.ts';
import type { BodyFormat, ConnectionTestResult, DeliveryLog, DeliveryMethod } from './delivery.ts';
import type { Page, PageRequest } from './page.ts';

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

/** A subscription as stored: the API's view plus its encrypted signing secret and header values (a `SubscribedDestination`). */
export interface StoredSubscription extends Subscription {
  /** SecretCipher output (`aesgcm:v1:...` or `kms:v1:...`); never the secret itself. */
  secretCiphertext: string;
  /** SecretCipher output of the custom headers as a JSON object; absent when there are none. */
  headersCiphertext?: string | undefined;
  /** Custom headers of an item written before they were encrypted: read, never written again (the next update encrypts them). */
  plaintextHeaders?: Record<string, string> | undefined;
  /** Incremented by every update: the condition of `SubscriptionStore.replace`. 0 for items written before it existed. */
  version: number;
}

export type ReplaceOutcome = 'replaced' | 'missing' | 'conflict';

export interface SubscriptionStore {
  /** `ifAbsent`: refuse (return false) when the id exists. */
  put(subscription: StoredSubscription, options?: { ifAbsent?: boolean }): Promise<boolean>;
  /**
   * Writes an update only while the stored item still has `expectedVersion`: `missing` when it
   * was deleted meanwhile (an update never brings it back), `conflict` when another update won.
   */
  replace(subscription: StoredSubscription, expectedVersion: number): Promise<ReplaceOutcome>;
  get(id: string): Promise<StoredSubscription | undefined>;
  /** Every subscription, in id order (the fan-out's cached directory). */
  list(): Promise<StoredSubscription[]>;
  /** A page in id order (the API's list). */
  listPage(page: PageRequest): Promise<Page<StoredSubscription>>;
  delete(id: string): Promise<boolean>;
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

/** Typed failures the API maps to documented error codes. */
export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
  readonly code:
    | 'NOT_FOUND'
    | 'CONFLICT' // changed by a concurrent update since it was read: read it again and retry
    | 'INVALID_TARGET' // URL refused: scheme, credentials, private/loopback/metadata address (SSRF)
    | 'INVALID_EVENT_TYPE'
    | 'PAYLOAD_TOO_LARGE';
  constructor(code: SubscriptionError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Subscriptions, the events they subscribe to, and their delivery log (keyed by the subscription id). */
export interface SubscriptionService extends DeliveryLog {
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
  /** Publishes a custom event for fan-out to the subscriptions that match it. */
  publishEvent(type: string, data: JsonValue, options?: { pipelineId?: number | undefined }): Promise<PublishedEvent>;
}
