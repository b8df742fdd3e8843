// Built-in events from the processor: published to the events queue after the lake write, and
// only when some enabled subscription wants them (the subscription list is cached ~10 s, so a
// processor with no listeners pays one Query per TTL and nothing per request).
//
// Reliability: events are sent once the lake write succeeded. If they cannot be sent (or the
// subscription list cannot be read), process-batch.ts retries the ingest messages behind
// them, except on a message's last receive before the DLQ. Event ids derive from the requests,
// so a batch handled again re-publishes identical events without duplicating deliveries.
import { matchesSubscription } from '../../domain/delivery/events.ts';
import { serializeQueueMessage, type OutboundEvent, type RejectionSummaryJob } from '../../domain/delivery/queue-messages.ts';
import type { SummaryWindow } from '../../domain/ingest/rejections.ts';
import type { DestinationSource, EventsQueue } from '../../ports/delivery.ts';

export type EventWanted = (type: string, pipelineId?: number) => boolean;

export interface EventSink {
  /** Which events someone listens to right now (from the cached subscription list). */
  wanted(): Promise<EventWanted>;
  /** Sends the events that are still wanted; rejects when the queue does. */
  publish(events: readonly OutboundEvent[]): Promise<number>;
  /** Queues the read of a pipeline's rejection summary window, `delaySeconds` from now (≤ 900). */
  scheduleRejectionSummary(pipelineId: number, window: SummaryWindow, delaySeconds: number): Promise<void>;
}

/** `directory`: the subscriptions, cached (services/delivery/destinations.ts). */
export function eventSink(deps: { directory: Pick<DestinationSource, 'subscriptions'>; queue: EventsQueue }): EventSink {
  async function wanted(): Promise<EventWanted> {
    const subscriptions = (await deps.directory.subscriptions()).filter((subscription) => subscription.enabled);
    const types = new Set(subscriptions.flatMap((subscription) => subscription.events));
    return (type, pipelineId) =>
      types.has(type) &&
      subscriptions.some((subscription) => matchesSubscription(subscription, { type, ...(pipelineId === undefined ? {} : { pipelineId }) }));
  }
  return {
    wanted,
    async publish(events) {
      if (events.length === 0) return 0;
      const isWanted = await wanted();
      const chosen = events.filter((event) => isWanted(event.type, event.pipelineId));
      if (chosen.length === 0) return 0;
      await deps.queue.send(chosen.map((event) => ({ body: serializeQueueMessage({ v: 1, kind: 'event', event }) })));
      return chosen.length;
    },
    async scheduleRejectionSummary(pipelineId, window, delaySeconds) {
      const job: RejectionSummaryJob = { v: 1, kind: 'rejection_summary', pipelineId, windowStart: window.start, windowEnd: window.end };
      await deps.queue.send([{ body: serializeQueueMessage(job), delaySeconds }]);
    },
  };
}
