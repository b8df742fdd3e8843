// Each sync is a delivery target of the outbound engine, shaped like a subscription: the fan-out
// runs a sync's delivery jobs as it runs a subscription's retries (directory.get(id), secret,
// headers, URL, method, format). This store answers the fan-out's lookups of `syn_` ids from the
// sync items and everything else from the subscriptions. `list()` stays the subscriptions only:
// events are never matched to a sync (its deliveries are created by the sync engine), and the
// management API's subscription list never shows one.
import type { StoredSync, SyncStore } from '../../ports/syncs.ts';
import type { StoredSubscription, SubscriptionStore } from '../../ports/delivery.ts';

export const isSyncId = (id: string) => id.startsWith('syn_');

export function withSyncDestinations(subscriptions: SubscriptionStore, syncs: Pick<SyncStore, 'getSync'>): SubscriptionStore {
  return {
    ...subscriptions,
    put: (subscription, options) => subscriptions.put(subscription, options),
    replace: (subscription, expectedVersion) => subscriptions.replace(subscription, expectedVersion),
    list: () => subscriptions.list(),
    delete: (id) => subscriptions.delete(id),
    async get(id) {
      if (!isSyncId(id)) return subscriptions.get(id);
      const sync = await syncs.getSync(id);
      return sync === undefined ? undefined : syncDestination(sync);
    },
  };
}

/** A sync as the delivery engine sees a subscription. A disabled sync's pending retries end, as a disabled subscription's do. */
export function syncDestination(sync: StoredSync): StoredSubscription {
  return {
    id: sync.id,
    webhookUrl: sync.webhookUrl,
    webhookHttpMethod: sync.webhookHttpMethod,
    events: [],
    description: sync.name,
    headerNames: sync.headerNames,
    ...(sync.headersCiphertext === undefined ? {} : { headersCiphertext: sync.headersCiphertext }),
    format: sync.format,
    enabled: sync.enabled,
    createdAt: sync.createdAt,
    updatedAt: sync.updatedAt,
    secretCiphertext: sync.secretCiphertext,
    version: sync.version,
  };
}
