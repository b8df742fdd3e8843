// The delivery log of the OutboundService (and of the SyncService, deliveryLog) and redelivery: one delivery again (a manual job,
// queued before the delivery is marked pending), or every failed one in a time range, page by
// page with a few in flight.
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../domain/list-limits.ts';
import type { DeliveryRecord } from '../../domain/delivery/log.ts';
import { deliveryIdPrefixAt, deliveryJob, serializeQueueMessage } from '../../domain/delivery/queue-messages.ts';
import { OutboundError, type Delivery, type DeliveryQuery, type OutboundService } from '../../ports/subscriptions.ts';
import { pageOf } from '../../ports/page.ts';
import { forEachBounded } from './concurrency.ts';
import type { OutboundCore } from '../subscriptions/outbound.ts';
import type { DeliveryStore, EventsQueue } from '../../ports/delivery.ts';

/** Bulk redelivery reads the failed deliveries this many at a time... */
export const REDELIVERY_PAGE_SIZE = 100;
/** ...and queues at most this many at once (SQS send + DynamoDB write each). */
export const REDELIVERY_CONCURRENCY = 8;

type DeliveryOperations = Pick<OutboundService, 'listDeliveries' | 'getDelivery' | 'redeliver' | 'redeliverFailed'>;

/**
 * What a delivery log needs from its owner: a subscription's, or a sync's (its row-ops are
 * deliveries keyed by the sync id). The owner's id is the first argument of every operation.
 */
export interface DeliveryLogDeps {
  deliveries: DeliveryStore;
  clock: { nowMs(): number };
  /** The events queue, or a throw when it is not configured. */
  queue(): EventsQueue;
  /** Resolves when the owner exists; throws its NOT_FOUND otherwise. */
  requireOwner(ownerId: string): Promise<unknown>;
  deliveryNotFound(ownerId: string, deliveryId: string): Error;
}

export function deliveryOperations(core: OutboundCore): DeliveryOperations {
  return deliveryLog({
    deliveries: core.deps.deliveries,
    clock: core.deps.clock,
    queue: () => core.needQueue(),
    requireOwner: (id) => core.requireSubscription(id),
    deliveryNotFound: (subscriptionId, deliveryId) => new OutboundError('NOT_FOUND', `no delivery ${deliveryId} for subscription ${subscriptionId}`),
  });
}

/** The delivery log of one owner and its redelivery (manual jobs through the events queue). */
export function deliveryLog(deps: DeliveryLogDeps): DeliveryOperations {
  async function queueRedelivery(record: DeliveryRecord): Promise<Delivery> {
    const queue = deps.queue();
    const now = deps.clock.nowMs();
    const job = deliveryJob(record, now, { manual: true });
    // The job first: if the update below loses a race with the job itself, the job has run.
    await queue.send([{ body: serializeQueueMessage(job) }]);
    const pending: DeliveryRecord = { ...record, status: 'pending', nextAttemptAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() };
    const updated = await deps.deliveries.replace(pending, record.attemptCount);
    return toDelivery(updated ? pending : ((await deps.deliveries.get(record.subscriptionId, record.id)) ?? pending));
  }

  return {
    async listDeliveries(subscriptionId, query: DeliveryQuery = {}) {
      await deps.requireOwner(subscriptionId);
      const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT));
      const records = await deps.deliveries.list(subscriptionId, {
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

    async getDelivery(subscriptionId, deliveryId) {
      const record = await deps.deliveries.get(subscriptionId, deliveryId);
      return record === undefined ? undefined : toDelivery(record);
    },

    async redeliver(subscriptionId, deliveryId) {
      const record = await deps.deliveries.get(subscriptionId, deliveryId);
      if (record === undefined) throw deps.deliveryNotFound(subscriptionId, deliveryId);
      return queueRedelivery(record);
    },

    async redeliverFailed(subscriptionId, range) {
      await deps.requireOwner(subscriptionId);
      deps.queue();
      // Page by page (memory bounded by one page, however many failed), a few in flight at once.
      const bounds = rangeOf(range.from, range.to);
      let queued = 0;
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.deliveries.list(subscriptionId, {
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
    subscriptionId: record.subscriptionId,
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
