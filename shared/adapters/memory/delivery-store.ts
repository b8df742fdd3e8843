// In-memory delivery engine stores (events, deliveries, suspensions), for unit tests and the
// fan-out benchmark: the contracts of dynamodb/delivery-store.ts (conditional writes, expiry on
// read), no I/O. Beside them here: subscriptions, queues, the secret cipher and the other stores.
import type { DeliveryRecord } from '../../domain/delivery/log.ts';
import { emptySuspensionState, type SuspensionState } from '../../domain/delivery/suspension.ts';
import type { DeliveryStore, EventStore, StoredEvent, SuspensionStore } from '../../ports/delivery.ts';
import { clone, pause, type MemoryOptions } from './latency.ts';

export type { MemoryOptions };

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
  const k = (destinationId: string, deliveryId: string) => `${destinationId}\n${deliveryId}`;
  const live = (record: DeliveryRecord | undefined, now = Date.now()) =>
    record !== undefined && record.expiresAt * 1000 > now ? clone(record) : undefined;
  return {
    items,
    async create(record) {
      await pause(options);
      const key = k(record.destinationId, record.id);
      if (items.has(key)) return false;
      items.set(key, clone(record));
      return true;
    },
    async get(destinationId, deliveryId) {
      await pause(options);
      return live(items.get(k(destinationId, deliveryId)));
    },
    async getMany(keys) {
      await pause(options);
      return keys.map((key) => live(items.get(k(key.destinationId, key.deliveryId)))).filter((r): r is DeliveryRecord => r !== undefined);
    },
    async replace(record, expectedAttemptCount) {
      await pause(options);
      const key = k(record.destinationId, record.id);
      const current = items.get(key);
      if (current === undefined || current.attemptCount !== expectedAttemptCount) return false;
      items.set(key, clone(record));
      return true;
    },
    async list(destinationId, query) {
      await pause(options);
      const from = query.fromId ?? 'dlv_';
      const to = query.toId ?? 'dlv_~';
      const found = [...items.values()]
        .filter((r) => r.destinationId === destinationId && r.id >= from && r.id <= to)
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
