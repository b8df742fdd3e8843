// A destination's delivery log and its redelivery: bulk redelivery pages through the failed
// deliveries and keeps a few in flight, whatever their number.
import { describe, expect, it } from 'vitest';
import type { DeliveryRequest } from '../../../../../shared/domain/delivery/request.ts';
import { plannedDelivery, type DeliveryRecord } from '../../../../../shared/domain/delivery/log.ts';
import type { SendResult } from '../../../../../shared/ports/delivery.ts';
import { REDELIVERY_CONCURRENCY, REDELIVERY_PAGE_SIZE } from '../../../../../shared/services/delivery/log.ts';
import { deliveryWorld } from '../../../../support/delivery-world.ts';

const T0 = Math.floor(Date.now() / 1000) * 1000;

function setup(options: { answer?: (request: DeliveryRequest, index: number) => SendResult; allowPrivate?: boolean } = {}) {
  return deliveryWorld({ startMs: T0, ...(options.answer === undefined ? {} : { answer: options.answer }), allowPrivateTargets: options.allowPrivate ?? true });
}

describe('bounded admin operations', () => {
  it('bulk redelivery pages through the failed deliveries and queues at most 8 at once', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    // 250 failed deliveries in range, one failed before it and one succeeded in it.
    const record = (n: number, status: 'failed' | 'succeeded') => {
      const at = T0 + n * 1000;
      const delivery: DeliveryRecord = {
        ...plannedDelivery({ id: `evt_${n}`, type: 'x.y', timestamp: at }, { id: subscription.id, address: 'a' }, { now: at, retentionDays: 30 }),
        status,
        attemptCount: 5,
      };
      t.deliveries.items.set(`${subscription.id}\n${delivery.id}`, delivery);
    };
    for (let n = 1; n <= 250; n++) record(n, 'failed');
    record(-5, 'failed');
    record(100.5, 'succeeded');
    const pageSizes: number[] = [];
    const list = t.deliveries.list.bind(t.deliveries);
    t.deliveries.list = async (id, query) => {
      const page = await list(id, query);
      pageSizes.push(page.length);
      expect(query.limit).toBe(REDELIVERY_PAGE_SIZE);
      return page;
    };
    let inFlight = 0;
    let peak = 0;
    const replace = t.deliveries.replace.bind(t.deliveries);
    t.deliveries.replace = async (delivery, expected) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return replace(delivery, expected);
    };
    const { queued } = await t.service.redeliverFailed(subscription.id, {
      from: new Date(T0).toISOString(),
      to: new Date(T0 + 300_000).toISOString(),
    });
    expect(queued).toBe(250);
    expect(pageSizes).toEqual([100, 100, 50]);
    expect(peak).toBe(REDELIVERY_CONCURRENCY);
    const all = [...t.deliveries.items.values()];
    expect(all.filter((d) => d.status === 'pending')).toHaveLength(250);
    expect(all.filter((d) => d.status === 'failed').map((d) => d.eventId)).toEqual(['evt_-5']);
    expect(t.queue.drain()).toHaveLength(250);
  });

  it('an update never brings back a subscription deleted meanwhile (NOT_FOUND), nor overwrites a concurrent one (CONFLICT)', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    const store = t.subscriptions;
    // The update reads the subscription, then another request deletes it before the write.
    const get = store.get.bind(store);
    let between: (() => Promise<unknown>) | undefined;
    store.get = async (id) => {
      const found = await get(id);
      const run = between;
      between = undefined;
      await run?.();
      return found;
    };
    between = () => t.service.deleteSubscription(subscription.id);
    await expect(t.service.updateSubscription(subscription.id, { enabled: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(store.items.has(subscription.id)).toBe(false);

    const other = (await t.service.createSubscription({ webhookUrl: 'https://b.example/', webhookHttpMethod: 'POST', events: ['x.y'] })).subscription;
    between = () => t.service.updateSubscription(other.id, { description: 'first' });
    await expect(t.service.updateSubscription(other.id, { enabled: false })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await t.service.getSubscription(other.id)).toMatchObject({ description: 'first', enabled: true });
    // Without a concurrent change, updates go through one after another.
    expect(await t.service.updateSubscription(other.id, { enabled: false })).toMatchObject({ description: 'first', enabled: false });
    expect(await t.service.updateSubscription(other.id, { enabled: true })).toMatchObject({ enabled: true });
  });
});
