// In-memory implementations of the outbound ports, for unit tests and the fan-out benchmark.
// Same contracts as the DynamoDB adapters (conditional writes, expiry on read), no I/O.
import type { DeliveryRecord } from '../../domain/delivery/log.ts';
import { emptySuspensionState, type SuspensionState } from '../../domain/delivery/suspension.ts';
import type {
  DeliveryStore,
  EventStore,
  EventsQueue,
  QueueEntry,
  SecretCipher,
  StoredEvent,
  StoredSubscription,
  SubscriptionStore,
  SuspensionStore,
} from '../../ports/delivery.ts';
import { pageOf } from '../../ports/page.ts';

const clone = <T>(value: T): T => structuredClone(value);

/** Optional artificial latency per call, to approximate a remote store in benchmarks. */
export interface MemoryOptions {
  latencyMs?: number;
}

const pause = async (options: MemoryOptions) => {
  if (options.latencyMs !== undefined && options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
};

export function memorySubscriptionStore(options: MemoryOptions = {}): SubscriptionStore & { items: Map<string, StoredSubscription> } {
  const items = new Map<string, StoredSubscription>();
  return {
    items,
    async put(subscription, putOptions = {}) {
      await pause(options);
      if (putOptions.ifAbsent === true && items.has(subscription.id)) return false;
      items.set(subscription.id, clone(subscription));
      return true;
    },
    async replace(subscription, expectedVersion) {
      await pause(options);
      const current = items.get(subscription.id);
      if (current === undefined) return 'missing';
      if (current.version !== expectedVersion) return 'conflict';
      items.set(subscription.id, clone(subscription));
      return 'replaced';
    },
    async get(id) {
      await pause(options);
      const found = items.get(id);
      return found === undefined ? undefined : clone(found);
    },
    async list() {
      await pause(options);
      return [...items.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(clone);
    },
    async listPage({ limit, after }) {
      await pause(options);
      const sorted = [...items.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).filter((s) => after === undefined || s.id > after);
      return pageOf(sorted.slice(0, limit + 1).map(clone), limit, (s) => s.id);
    },
    async delete(id) {
      await pause(options);
      return items.delete(id);
    },
  };
}

export function memoryEventStore(options: MemoryOptions = {}): EventStore & { items: Map<string, StoredEvent> } {
  const items = new Map<string, StoredEvent>();
  return {
    items,
    async put(event) {
      await pause(options);
      if (items.has(event.id)) return false;
      items.set(event.id, clone(event));
      return true;
    },
    async get(id) {
      await pause(options);
      const found = items.get(id);
      return found === undefined || found.expiresAt * 1000 <= Date.now() ? undefined : clone(found);
    },
  };
}

export function memoryDeliveryStore(options: MemoryOptions = {}): DeliveryStore & { items: Map<string, DeliveryRecord> } {
  const items = new Map<string, DeliveryRecord>();
  const k = (subscriptionId: string, deliveryId: string) => `${subscriptionId}\n${deliveryId}`;
  const live = (record: DeliveryRecord | undefined, now = Date.now()) =>
    record !== undefined && record.expiresAt * 1000 > now ? clone(record) : undefined;
  return {
    items,
    async create(record) {
      await pause(options);
      const key = k(record.subscriptionId, record.id);
      if (items.has(key)) return false;
      items.set(key, clone(record));
      return true;
    },
    async get(subscriptionId, deliveryId) {
      await pause(options);
      return live(items.get(k(subscriptionId, deliveryId)));
    },
    async getMany(keys) {
      await pause(options);
      return keys.map((key) => live(items.get(k(key.subscriptionId, key.deliveryId)))).filter((r): r is DeliveryRecord => r !== undefined);
    },
    async replace(record, expectedAttemptCount) {
      await pause(options);
      const key = k(record.subscriptionId, record.id);
      const current = items.get(key);
      if (current === undefined || current.attemptCount !== expectedAttemptCount) return false;
      items.set(key, clone(record));
      return true;
    },
    async list(subscriptionId, query) {
      await pause(options);
      const from = query.fromId ?? 'dlv_';
      const to = query.toId ?? 'dlv_~';
      const found = [...items.values()]
        .filter((r) => r.subscriptionId === subscriptionId && r.id >= from && r.id <= to)
        .filter((r) => query.status === undefined || r.status === query.status)
        .filter((r) => r.expiresAt * 1000 > query.now)
        .filter((r) => query.afterId === undefined || (query.descending ? r.id < query.afterId : r.id > query.afterId))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      if (query.descending) found.reverse();
      return found.slice(0, query.limit).map(clone);
    },
  };
}

export function memorySuspensionStore(options: MemoryOptions = {}): SuspensionStore & { items: Map<string, SuspensionState>; conflicts: number } {
  const items = new Map<string, SuspensionState>();
  const store = {
    items,
    conflicts: 0,
    async get(address: string) {
      await pause(options);
      return clone(items.get(address) ?? emptySuspensionState());
    },
    async put(address: string, state: SuspensionState, expectedVersion: number) {
      await pause(options);
      const current = items.get(address)?.version ?? 0;
      if (current !== expectedVersion) {
        store.conflicts++;
        return false;
      }
      items.set(address, clone(state));
      return true;
    },
  };
  return store;
}

export interface MemoryQueue extends EventsQueue {
  /** Everything sent, in order, with the (scaled) time it becomes visible. */
  sent: Array<QueueEntry & { sentAt: number }>;
  /** Removes and returns what is queued. */
  drain(): Array<QueueEntry & { sentAt: number }>;
}

export function memoryEventsQueue(now: () => number = Date.now): MemoryQueue {
  let queued: Array<QueueEntry & { sentAt: number }> = [];
  const queue: MemoryQueue = {
    sent: [],
    async send(entries) {
      for (const entry of entries) {
        const stamped = { ...entry, sentAt: now() };
        queue.sent.push(stamped);
        queued.push(stamped);
      }
    },
    drain() {
      const out = queued;
      queued = [];
      return out;
    },
  };
  return queue;
}

/** Reversible, clearly-not-secure stand-in: tests check the store never holds the plain secret. */
export function memorySecretCipher(): SecretCipher {
  return {
    async encrypt(secret, subscriptionId) {
      return `mem:${subscriptionId}:${Buffer.from(secret, 'utf8').toString('hex')}`;
    },
    async decrypt(ciphertext, subscriptionId) {
      const prefix = `mem:${subscriptionId}:`;
      if (!ciphertext.startsWith(prefix)) throw new Error('ciphertext belongs to another subscription');
      return Buffer.from(ciphertext.slice(prefix.length), 'hex').toString('utf8');
    },
  };
}
