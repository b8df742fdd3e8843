// In-memory subscriptions: the contract of dynamodb/subscription-store.ts (conditional put and
// replace, id order), no I/O.
import { pageOf } from '../../ports/page.ts';
import type { StoredSubscription, SubscriptionStore } from '../../ports/subscriptions.ts';
import { clone, pause, type MemoryOptions } from './latency.ts';

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
