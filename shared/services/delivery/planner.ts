// Where deliveries come from, for both kinds of destination: an event fanned out to the
// subscriptions it matches (event-fanout.ts), and a sync run's row-ops, each addressed to its sync
// (syncs/engine.ts). Each (event, destination) pair is one delivery whose id and `webhook-id`
// derive from the pair (domain/delivery/log.ts `plannedDelivery`), so planning it again, after a
// re-received message or a crashed chunk, gives the same delivery. When the caller cannot rule
// out that some were recorded already, one batched read tells those apart: they are never
// planned, written or attempted a second time.
import { plannedDelivery, type DeliveryRecord } from '../../domain/delivery/log.ts';
import { addressOf } from '../../domain/delivery/queue-messages.ts';
import type { DeliveryStore } from '../../ports/delivery.ts';

export interface DeliveryEvent {
  id: string;
  type: string;
  /** Epoch ms: the event's time, which orders its deliveries. */
  timestamp: number;
}

export interface PlannedDelivery<E extends DeliveryEvent, D extends { id: string; webhookUrl: string }> {
  event: E;
  destination: D;
  record: DeliveryRecord;
}

export interface DeliveryPlan<E extends DeliveryEvent, D extends { id: string; webhookUrl: string }> {
  /** Not recorded yet: to write (and attempt). */
  fresh: PlannedDelivery<E, D>[];
  /** Recorded already, as stored. */
  recorded: DeliveryRecord[];
}

const keyOf = (record: { destinationId: string; id: string }) => `${record.destinationId}\n${record.id}`;

/**
 * The deliveries of `pairs`. `checkRecorded`: the event may have been planned before (the caller
 * knows when it cannot have been, and saves the read).
 */
export async function planDeliveries<E extends DeliveryEvent, D extends { id: string; webhookUrl: string }>(
  deliveries: Pick<DeliveryStore, 'getMany'>,
  pairs: readonly { event: E; destination: D }[],
  options: { now: number; retentionDays: number; checkRecorded: boolean },
): Promise<DeliveryPlan<E, D>> {
  // A sync's chunk is thousands of row-ops to one destination: its address is hashed once.
  const addresses = new Map<D, string>();
  const addressOfDestination = (destination: D) => {
    let address = addresses.get(destination);
    if (address === undefined) addresses.set(destination, (address = addressOf(destination.webhookUrl)));
    return address;
  };
  const planned = pairs.map(({ event, destination }) => ({
    event,
    destination,
    record: plannedDelivery(event, { id: destination.id, address: addressOfDestination(destination) }, options),
  }));
  if (!options.checkRecorded || planned.length === 0) return { fresh: planned, recorded: [] };
  const recorded = await deliveries.getMany(planned.map(({ record }) => ({ destinationId: record.destinationId, deliveryId: record.id })));
  const known = new Set(recorded.map(keyOf));
  return { fresh: planned.filter(({ record }) => !known.has(keyOf(record))), recorded };
}
