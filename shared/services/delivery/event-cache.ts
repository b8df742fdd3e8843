// Events kept across warm fan-out invocations, so a retry or redelivery job rarely reads its
// event from the store again. Bounded by count and by bytes of data (events carry up to 256 KiB).
import { eventDataBytes } from '../../domain/delivery/queue-messages.ts';
import type { StoredEvent } from '../../ports/delivery.ts';

/** At most this many events... */
export const EVENT_CACHE_ENTRIES = 2000;
/** ...holding at most this much data: 2000 events of 256 KiB would not fit the function's memory. */
export const EVENT_CACHE_BYTES = 32 * 1024 * 1024;

export interface EventCache {
  get(id: string): StoredEvent | undefined;
  put(event: StoredEvent): void;
}

export function eventCache(): EventCache {
  const entries = new Map<string, { event: StoredEvent; bytes: number }>();
  let totalBytes = 0;
  return {
    get: (id) => entries.get(id)?.event,
    /** Oldest entries leave first, so the cache stays within both limits. */
    put(event) {
      const previous = entries.get(event.id);
      if (previous !== undefined) {
        entries.delete(event.id);
        totalBytes -= previous.bytes;
      }
      const bytes = eventDataBytes(event.dataJson);
      entries.set(event.id, { event, bytes });
      totalBytes += bytes;
      while (entries.size > EVENT_CACHE_ENTRIES || totalBytes > EVENT_CACHE_BYTES) {
        const [oldestId, oldest] = entries.entries().next().value!;
        entries.delete(oldestId);
        totalBytes -= oldest.bytes;
      }
    },
  };
}
