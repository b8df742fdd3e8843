// What the outbound engine (OutboundService and the fan-out) needs from the outside world.
// DynamoDB / SQS / KMS / undici implementations live in shared/adapters/outbound-*.ts,
// secret-cipher.ts and http-sender.ts; in-memory ones in shared/adapters/outbound-memory.ts.
import type { DeliveryRecord, DeliveryStatus } from '../domain/delivery/log.ts';
import type { DeliveryRequest } from '../domain/delivery/request.ts';
import type { OutboundEvent } from '../domain/delivery/queue-messages.ts';
import type { AttemptOutcome } from '../domain/delivery/retry-policy.ts';
import type { SuspensionState } from '../domain/delivery/suspension.ts';
import type { Subscription } from './subscriptions.ts';
import type { Page, PageRequest } from './page.ts';

/** A subscription as stored: the API's view plus its encrypted signing secret and header values. */
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

export interface DeliveryStore {
  /** Conditional on absence; false when the delivery already exists. */
  create(record: DeliveryRecord): Promise<boolean>;
  get(subscriptionId: string, deliveryId: string): Promise<DeliveryRecord | undefined>;
  /** Several at once (missing ones are left out). */
  getMany(keys: ReadonlyArray<{ subscriptionId: string; deliveryId: string }>): Promise<DeliveryRecord[]>;
  /** Conditional on the stored attemptCount; false when another writer got there first. */
  replace(record: DeliveryRecord, expectedAttemptCount: number): Promise<boolean>;
  /** Up to `query.limit` records in id order (fewer only at the end); page on with `afterId`. */
  list(subscriptionId: string, query: DeliveryListQuery): Promise<DeliveryRecord[]>;
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

/** Encrypts signing secrets and custom header values at rest; `subscriptionId` is bound to the ciphertext (AAD / EncryptionContext). */
export interface SecretCipher {
  encrypt(secret: string, subscriptionId: string): Promise<string>;
  decrypt(ciphertext: string, subscriptionId: string): Promise<string>;
}

/** DNS: every address a hostname resolves to. */
export type Resolve = (hostname: string) => Promise<string[]>;
