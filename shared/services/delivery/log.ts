// A destination's delivery log (a subscription's or a sync's: the SubscriptionService and the
// SyncService each put one together) and redelivery: one delivery again (a manual job, queued
// before the delivery is marked pending), or every failed one in a time range, page by page with
// a few in flight.
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../domain/list-limits.ts';
import type { DeliveryRecord } from '../../domain/delivery/log.ts';
import { deliveryIdPrefixAt, deliveryJob, serializeQueueMessage } from '../../domain/delivery/queue-messages.ts';
import type { Delivery, DeliveryLog, DeliveryQuery, DeliveryStore, EventsQueue } from '../../ports/delivery.ts';
import { pageOf } from '../../ports/page.ts';
import { forEachBounded } from '../../domain/concurrency.ts';

/** Bulk redelivery reads the failed deliveries this many at a time... */
export const REDELIVERY_PAGE_SIZE = 100;
/** ...and queues at most this many at once (SQS send + DynamoDB write each). */
export const REDELIVERY_CONCURRENCY = 8;

/** What a delivery log needs from the service of its kind of destination. */
export interface DeliveryLogDeps {
  deliveries: DeliveryStore;
  clock: { nowMs(): number };
  /** The events queue, or a throw when it is not configured. */
  queue(): EventsQueue;
  /** Resolves when the destination exists; throws its kind's NOT_FOUND otherwise. */
  requireDestination(destinationId: string): Promise<unknown>;
  deliveryNotFound(destinationId: string, deliveryId: string): Error;
}

/** The delivery log of one kind of destination and its redelivery (manual jobs through the events queue). */
export function deliveryLog(deps: DeliveryLogDeps): DeliveryLog {
  async function queueRedelivery(record: DeliveryRecord): Promise<Delivery> {
    const queue = deps.queue();
    const now = deps.clock.nowMs();
    const job = deliveryJob(record, now, { manual: true });
    // The job first: if the update below loses a race with the job itself, the job has run.
    await queue.send([{ body: serializeQueueMessage(job) }]);
    const pending: DeliveryRecord = { ...record, status: 'pending', nextAttemptAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
    const updated = await deps.deliveries.replace(pending, record.attemptCount);
    return toDelivery(updated ? pending : ((await deps.deliveries.get(record.destinationId, record.id)) ?? pending));
  }

  return {
    async listDeliveries(destinationId, query: DeliveryQuery = {}) {
      await deps.requireDestination(destinationId);
      const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT));
      const records = await deps.deliveries.list(destinationId, {
        ...rangeOf(query.from, query.to),
        status: query.status,
        // One more than the page: it says whether there is a next page.
        limit: limit + 1,
        afterId: query.after,
        descending: true,
        now: deps.clock.nowMs(),
      });
      return pageOf(records.map(toDelivery), limit, (delivery) => delivery.id);
    },

    async getDelivery(destinationId, deliveryId) {
      const record = await deps.deliveries.get(destinationId, deliveryId);
      return record === undefined ? undefined : toDelivery(record);
    },

    async redeliver(destinationId, deliveryId) {
      const record = await deps.deliveries.get(destinationId, deliveryId);
      if (record === undefined) throw deps.deliveryNotFound(destinationId, deliveryId);
      return queueRedelivery(record);
    },

    async redeliverFailed(destinationId, range) {
      await deps.requireDestination(destinationId);
      deps.queue();
      // Page by page (memory bounded by one page, however many failed), a few in flight at once.
      const bounds = rangeOf(range.from, range.to);
      let queued = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.deliveries.list(destinationId, {
          ...bounds,
          status: 'failed',
          limit: REDELIVERY_PAGE_SIZE,
          afterId,
          descending: false,
          now: deps.clock.nowMs(),
        });
        await forEachBounded(page, REDELIVERY_CONCURRENCY, async (record) => {
          await queueRedelivery(record);
          queued++;
        });
        if (page.length < REDELIVERY_PAGE_SIZE) return { queued };
        afterId = page.at(-1)!.id;
      }
    },
  };
}

function rangeOf(from: string | undefined, to: string | undefined): { fromId?: string; toId?: string } {
  const parse = (text: string, bound: string) => {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new RangeError(`${bound} is not an ISO time: ${text}`);
    return ms;
  };
  return {
    ...(from === undefined ? {} : { fromId: deliveryIdPrefixAt(parse(from, 'from')) }),
    // Every id of an event at `to` (same prefix) is ≤ prefix + '~'.
    ...(to === undefined ? {} : { toId: `${deliveryIdPrefixAt(parse(to, 'to'))}~` }),
  };
}

export function toDelivery(record: DeliveryRecord): Delivery {
  return {
    id: record.id,
    destinationId: record.destinationId,
    eventId: record.eventId,
    eventType: record.eventType,
    webhookId: record.webhookId,
    status: record.status,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.nextAttemptAt === undefined ? {} : { nextAttemptAt: record.nextAttemptAt }),
    attempts: record.attempts.map((attempt) => ({ ...attempt })),
  };
}
