// An in-memory events queue: what was sent, with the (possibly simulated) time it was sent, so a
// test or a benchmark moves it onward itself.
import type { EventsQueue, QueueEntry } from '../../ports/delivery.ts';

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
