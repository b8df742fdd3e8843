// The fan-out and SubscriptionService over in-memory ports, with an injected clock and scripted
// endpoint answers: Kommo's retry budget, the suspension hold, idempotent fan-out, stale jobs,
// redelivery with a fresh budget, and the SSRF / event-type checks of subscription creation.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { memorySuspensionStore } from '../../shared/adapters/memory/delivery-store.ts';
import type { DeliveryRequest } from '../../shared/domain/delivery/request.ts';
import { plannedDelivery, type DeliveryRecord } from '../../shared/domain/delivery/log.ts';
import { addressOf, deliveryIdFor, parseQueueMessage, serializeQueueMessage } from '../../shared/domain/delivery/queue-messages.ts';
import { RETRY_SCHEDULE } from '../../shared/domain/delivery/retry-policy.ts';
import { SUSPENSION_RULE } from '../../shared/domain/delivery/suspension.ts';
import type { SendResult } from '../../shared/ports/delivery.ts';
import { SubscriptionError } from '../../shared/ports/subscriptions.ts';
import { semaphore } from '../../shared/services/delivery/concurrency.ts';
import { EVENT_CACHE_BYTES } from '../../shared/services/delivery/event-cache.ts';
import { REDELIVERY_CONCURRENCY, REDELIVERY_PAGE_SIZE } from '../../shared/services/delivery/log.ts';
import { suspensionTracker } from '../../shared/services/delivery/suspension-tracker.ts';
import { deliveryWorld } from '../support/delivery-world.ts';

const T0 = Math.floor(Date.now() / 1000) * 1000;

function setup(options: { answer?: (request: DeliveryRequest, index: number) => SendResult; allowPrivate?: boolean } = {}) {
  return deliveryWorld({ startMs: T0, ...(options.answer === undefined ? {} : { answer: options.answer }), allowPrivateTargets: options.allowPrivate ?? true });
}

const failing = (status = 503) => (): SendResult => ({ outcome: { status }, statusCode: status, latencyMs: 2, responseSnippet: 'down' });

describe('fan-out of one event', () => {
  it('delivers once to each enabled matching subscription, by type and pipeline filter', async () => {
    const t = setup();
    const make = (url: string, events: string[], extra = {}) =>
      t.service.createSubscription({ webhookUrl: url, webhookHttpMethod: 'POST', events, ...extra });
    const a = await make('https://a.example/hook', ['order.paid']);
    const b = await make('https://b.example/hook', ['order.paid', 'order.created'], { pipelineId: 7 });
    await make('https://c.example/hook', ['order.paid'], { pipelineId: 8 });
    await make('https://d.example/hook', ['order.paid'], { enabled: false });
    await make('https://e.example/hook', ['order.created']);
    const event = await t.service.publishEvent('order.paid', { id: 1 }, { pipelineId: 7 });
    await t.run();
    expect(t.sent.map((r) => new URL(r.url).host).sort()).toEqual(['a.example', 'b.example']);
    const [delivered] = (await t.service.listDeliveries(a.subscription.id)).items;
    expect(delivered).toMatchObject({ status: 'succeeded', eventId: event.id, eventType: 'order.paid' });
    const request = t.sent.find((r) => r.url.startsWith('https://a.example'))!;
    expect(new Webhook(a.secret).verify(request.body!, request.headers)).toMatchObject({ type: 'order.paid', data: { id: 1 } });
    expect(request.headers['webhook-id']).toBe(delivered!.webhookId);
    expect((await t.service.listDeliveries(b.subscription.id)).items).toHaveLength(1);
  });

  it('a re-received event message neither re-sends nor re-records delivered subscriptions', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    const [message] = t.queue.sent;
    await t.run();
    const again = await t.fanout.handleBatch([{ messageId: 'again', body: message!.body, receiveCount: 2 }]);
    expect(again.failedMessageIds).toEqual([]);
    expect(t.sent).toHaveLength(1);
    expect((await t.service.listDeliveries(subscription.id)).items).toHaveLength(1);
  });

  it('an event published again in a new message (a re-processed ingest batch) is not delivered twice', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    const [message] = t.queue.sent;
    await t.run();
    // A new SQS message with the same event: its first receive.
    const republished = await t.fanout.handleBatch([{ messageId: 'republished', body: message!.body, receiveCount: 1 }]);
    expect(republished.failedMessageIds).toEqual([]);
    expect(t.sent).toHaveLength(1);
    expect(((await t.service.listDeliveries(subscription.id)).items)[0]!.attempts).toHaveLength(1);
  });

  it('signs and times each attempt when it is sent, not when it started waiting for a concurrency slot', async () => {
    const stamps: Array<{ signed: number; sentAt: number }> = [];
    const t = setup({
      answer: (request) => {
        stamps.push({ signed: Number(request.headers['webhook-timestamp']), sentAt: Math.floor(t.now() / 1000) });
        t.setNow(t.now() + 60_000); // each endpoint takes a (simulated) minute
        return { outcome: { status: 200 }, statusCode: 200, latencyMs: 60_000 };
      },
    });
    for (let i = 0; i < 8; i++) {
      await t.service.createSubscription({ webhookUrl: `https://s${i}.example/`, webhookHttpMethod: 'POST', events: ['x.y'] });
    }
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run(T0);
    expect(stamps).toHaveLength(8);
    for (const { signed, sentAt } of stamps) expect(signed).toBe(sentAt);
  });

  it('reports malformed messages failed on every receive, their last included, so the redrive policy moves them to the DLQ; the rest of the batch is delivered', async () => {
    const t = setup();
    await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    const good = t.queue.drain()[0]!;
    const malformed = [
      { messageId: 'bad-json', body: '{' },
      { messageId: 'bad-shape', body: '{"v":1,"kind":"delivery"}' },
      { messageId: 'bad-job-id', body: '{"v":1,"kind":"delivery","deliveryId":"x","subscriptionId":"sub_a","eventId":"e","dueAt":0,"seq":0}' },
    ];
    // An event no subscription lists is well-formed: acknowledged, no attempt.
    const unmatched = { messageId: 'unmatched', body: serializeQueueMessage({ v: 1, kind: 'event', event: { id: 'e1', type: 'Not Valid', timestamp: T0, dataJson: '{}' } }) };
    const first = await t.fanout.handleBatch([...malformed, unmatched, { messageId: 'good', body: good.body }].map((m) => ({ ...m, receiveCount: 1 })));
    expect(first.failedMessageIds.sort()).toEqual(['bad-job-id', 'bad-json', 'bad-shape']);
    expect(t.sent).toHaveLength(1);
    expect(first.stats).toMatchObject({ events: 2, attempts: 1, succeeded: 1 });
    // On the receive the queue's maxReceiveCount (5) allows last, they still fail (unlike a
    // delivery job, which ends its delivery `failed` then): SQS moves them to the DLQ.
    const last = await t.fanout.handleBatch(malformed.map((m) => ({ ...m, receiveCount: 5 })));
    expect(last.failedMessageIds.sort()).toEqual(['bad-job-id', 'bad-json', 'bad-shape']);
    expect(t.sent).toHaveLength(1);
  });
});

describe("Kommo's retry budget", () => {
  it('an endpoint that always fails gets exactly 5 attempts within the hour, same webhook-id, then failed', async () => {
    const t = setup({ answer: failing() });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run();
    expect(t.sent).toHaveLength(5);
    expect(new Set(t.sent.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const [delivery] = (await t.service.listDeliveries(subscription.id)).items;
    expect(delivery!.status).toBe('failed');
    expect(delivery!.nextAttemptAt).toBeUndefined();
    const times = delivery!.attempts.map((a) => Date.parse(a.at));
    expect(delivery!.attempts.map((a) => a.number)).toEqual([1, 2, 3, 4, 5]);
    expect(times.at(-1)! - times[0]!).toBeLessThanOrEqual(RETRY_SCHEDULE.windowMs);
    expect(delivery!.attempts.every((a) => a.errorClass === 'http_status' && a.statusCode === 503 && a.responseSnippet === 'down')).toBe(true);
  });

  it('fails twice then succeeds: 3 attempts', async () => {
    const t = setup({ answer: (_r, i) => (i < 2 ? failing(500)() : { outcome: { status: 204 }, statusCode: 204, latencyMs: 1 }) });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://flaky.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run();
    const [delivery] = (await t.service.listDeliveries(subscription.id)).items;
    expect(delivery!.status).toBe('succeeded');
    expect(delivery!.attempts.map((a) => a.ok)).toEqual([false, false, true]);
  });

  it('a job that arrives early is re-delayed, and a stale job is dropped', async () => {
    const t = setup({ answer: failing() });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run(T0); // only the first attempt
    const job = t.queue.sent.map((e) => parseQueueMessage(e.body)).find((m) => m.kind === 'delivery')!;
    t.pending.length = 0;
    t.queue.drain();
    const early = await t.fanout.handleBatch([{ messageId: 'early', body: serializeQueueMessage(job), receiveCount: 1 }]);
    expect(early.stats).toMatchObject({ attempts: 0, redelayed: 1 });
    const stale = await t.fanout.handleBatch([
      { messageId: 'stale', body: serializeQueueMessage({ ...job, seq: 0, dueAt: T0 }), receiveCount: 1 },
    ]);
    expect(stale.stats).toMatchObject({ attempts: 0, redelayed: 0 });
    expect(((await t.service.listDeliveries(subscription.id)).items)[0]!.attempts).toHaveLength(1);
  });

  it('a delivery job that keeps failing ends its delivery failed on its last receive, not pending behind the DLQ', async () => {
    const t = setup({ answer: failing() });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run(T0); // only the first attempt
    const job = t.queue.sent.map((e) => parseQueueMessage(e.body)).find((m) => m.kind === 'delivery')!;
    t.pending.length = 0;
    t.queue.drain();
    t.setNow((job as { dueAt: number }).dueAt);
    // The retry cannot be queued (events queue unreachable): handling the job fails every time.
    (t.queue as unknown as { send: () => Promise<void> }).send = async () => {
      throw new Error('events queue unreachable');
    };
    const body = serializeQueueMessage(job);
    const earlier = await t.fanout.handleBatch([{ messageId: 'job', body, receiveCount: 4 }]);
    expect(earlier.failedMessageIds).toEqual(['job']);
    expect(((await t.service.listDeliveries(subscription.id)).items)[0]!.status).toBe('pending');
    const last = await t.fanout.handleBatch([{ messageId: 'job', body, receiveCount: 5 }]);
    expect(last.failedMessageIds).toEqual([]);
    expect(((await t.service.listDeliveries(subscription.id)).items)[0]!.status).toBe('failed');
  });

  it.each(['create', 'replace'] as const)(
    'a retry job that arrives before its delivery is written (%s) is retried, not dropped: nothing is lost',
    async (write) => {
      const t = setup({ answer: failing() });
      const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let hold = false;
      const original = t.deliveries[write].bind(t.deliveries) as (...args: unknown[]) => Promise<boolean>;
      (t.deliveries as unknown as Record<string, unknown>)[write] = async (...args: unknown[]) => {
        if (hold) {
          hold = false;
          await gate;
        }
        return original(...args);
      };
      await t.service.publishEvent('x.y', { n: 1 });
      const [eventMessage] = t.queue.drain();
      let toRun = eventMessage!;
      if (write === 'replace') {
        await t.fanout.handleBatch([{ messageId: 'event', body: eventMessage!.body, receiveCount: 1 }]);
        toRun = t.queue.drain()[0]!;
        t.setNow((parseQueueMessage(toRun.body) as { dueAt: number }).dueAt);
      }
      // This attempt fails and queues its retry job; its delivery write is held back...
      hold = true;
      const sent = t.queue.sent.length;
      const running = t.fanout.handleBatch([{ messageId: 'slow-write', body: toRun.body, receiveCount: 1 }]);
      while (t.queue.sent.length === sent) await new Promise((resolve) => setImmediate(resolve));
      // ...while the retry job is received (SQS delays stop short under load or a scaled clock).
      const [early] = t.queue.drain();
      t.setNow((parseQueueMessage(early!.body) as { dueAt: number }).dueAt);
      const raced = await t.fanout.handleBatch([{ messageId: 'early-job', body: early!.body, receiveCount: 1 }]);
      release();
      expect((await running).failedMessageIds).toEqual([]);
      // SQS receives a message that failed again; one that was acknowledged is gone.
      if (raced.failedMessageIds.includes('early-job')) await t.queue.send([{ body: early!.body }]);
      await t.run();
      const [delivery] = (await t.service.listDeliveries(subscription.id)).items;
      expect(delivery!.status).toBe('failed');
      expect(delivery!.attempts).toHaveLength(5);
    },
  );

  it('a redelivery on demand succeeds once the endpoint recovers, continuing the log with a fresh budget', async () => {
    let up = false;
    const t = setup({ answer: () => (up ? { outcome: { status: 200 }, statusCode: 200, latencyMs: 1 } : failing()()) });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run();
    const [failed] = (await t.service.listDeliveries(subscription.id, { status: 'failed' })).items;
    up = true;
    const queued = await t.service.redeliver(subscription.id, failed!.id);
    expect(queued.status).toBe('pending');
    await t.run();
    const done = (await t.service.getDelivery(subscription.id, failed!.id))!;
    expect(done.status).toBe('succeeded');
    expect(done.attempts.map((a) => a.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(t.sent.map((r) => r.headers['webhook-id'])).size).toBe(1);
    await expect(t.service.redeliver(subscription.id, 'dlv_000000000aaaaaaaaaaaaaaaaaaaa')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('redeliverFailed queues the failed deliveries in a time range only', async () => {
    const t = setup({ answer: failing() });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://down.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    await t.service.publishEvent('x.y', { n: 1 });
    await t.run();
    t.setNow(t.now() + 3_600_000 * 3);
    await t.service.publishEvent('x.y', { n: 2 });
    await t.run();
    const all = (await t.service.listDeliveries(subscription.id, { status: 'failed' })).items;
    expect(all).toHaveLength(2);
    const later = all.map((d) => d.createdAt).sort()[1]!;
    const { queued } = await t.service.redeliverFailed(subscription.id, { from: later, to: new Date(t.now()).toISOString() });
    expect(queued).toBe(1);
  });
});

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

describe('event cache', () => {
  it('keeps a bounded amount of event data across batches: an old large event is read from the store again', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    const big = 'x'.repeat(250 * 1024);
    const count = Math.ceil(EVENT_CACHE_BYTES / big.length) + 2;
    const ids: string[] = [];
    for (let n = 0; n < count; n++) {
      ids.push((await t.service.publishEvent('x.y', { n, big })).id);
      await t.run();
    }
    let reads = 0;
    const get = t.events.get.bind(t.events);
    t.events.get = async (id) => {
      reads++;
      return get(id);
    };
    const first = ((await t.service.listDeliveries(subscription.id, { limit: 1000 })).items).find((d) => d.eventId === ids[0])!;
    await t.service.redeliver(subscription.id, first.id);
    await t.run();
    expect((await t.service.getDelivery(subscription.id, first.id))!.attempts).toHaveLength(2);
    expect(reads).toBe(1);
  });
});

describe('suspension of an address (one subscription URL)', () => {
  const ok = (): SendResult => ({ outcome: { status: 200 }, statusCode: 200, latencyMs: 1 });

  it('holds retries to a URL with over 100 invalid responses until the suspension ends, then resumes; nothing is lost', async () => {
    let up = false;
    const t = setup({ answer: () => (up ? ok() : failing()()) });
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://busy.example/hook', webhookHttpMethod: 'POST', events: ['x.y'] });
    for (let n = 0; n < 150; n++) await t.service.publishEvent('x.y', { n });
    await t.run(T0); // the 150 first attempts, all invalid
    const state = t.suspensionStore.items.get(addressOf('https://busy.example/hook'))!;
    expect(state.suspendedUntil).toBe(T0 + SUSPENSION_RULE.suspensionMs);
    up = true;
    await t.run();
    const deliveries = (await t.service.listDeliveries(subscription.id, { limit: 1000 })).items;
    expect(deliveries).toHaveLength(150);
    for (const delivery of deliveries) {
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts).toHaveLength(2);
      expect(Date.parse(delivery.attempts[1]!.at)).toBeGreaterThanOrEqual(state.suspendedUntil!);
    }
  });

  it('does not hold the retries of another subscription on the same host and port with another path', async () => {
    let neighbourAnswers = 0;
    const t = setup({
      answer: (request) => (new URL(request.url).pathname === '/other' && neighbourAnswers++ > 0 ? ok() : failing()()),
    });
    await t.service.createSubscription({ webhookUrl: 'https://busy.example/hook', webhookHttpMethod: 'POST', events: ['x.y'] });
    const neighbour = await t.service.createSubscription({ webhookUrl: 'https://busy.example/other', webhookHttpMethod: 'POST', events: ['n.y'] });
    await t.service.publishEvent('n.y', { n: 0 });
    for (let n = 0; n < 150; n++) await t.service.publishEvent('x.y', { n });
    await t.run(T0);
    const busy = t.suspensionStore.items.get(addressOf('https://busy.example/hook'))!;
    expect(busy.suspendedUntil).toBe(T0 + SUSPENSION_RULE.suspensionMs);
    expect(t.suspensionStore.items.get(addressOf('https://busy.example/other'))).toMatchObject({ recentInvalids: [T0] });
    await t.run(busy.suspendedUntil! - 1);
    const [delivery] = (await t.service.listDeliveries(neighbour.subscription.id)).items;
    // Its retry ran when due (1 min, jitter 0.5 → exactly 1 min), inside the other URL's suspension.
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: [{ ok: false }, { ok: true }] });
    expect(Date.parse(delivery!.attempts[1]!.at)).toBe(T0 + RETRY_SCHEDULE.baseDelaysMs[0]!);
  });
});

describe('request formats', () => {
  it('a GET whose URL would exceed 8 KiB fails at once as url_too_long, without retries', async () => {
    const t = setup();
    const { subscription } = await t.service.createSubscription({ webhookUrl: 'https://get.example/', webhookHttpMethod: 'GET', events: ['x.y'] });
    await t.service.publishEvent('x.y', { big: 'x'.repeat(9000) });
    await t.run();
    expect(t.sent).toHaveLength(0);
    const [delivery] = (await t.service.listDeliveries(subscription.id)).items;
    expect(delivery).toMatchObject({ status: 'failed', attempts: [{ number: 1, ok: false, errorClass: 'url_too_long' }] });
  });
});

describe('SubscriptionService checks', () => {
  it('refuses private targets (literal and after DNS) unless allowed, and bad event types', async () => {
    const t = setup({ allowPrivate: false });
    const create = (webhookUrl: string, events = ['x.y']) => t.service.createSubscription({ webhookUrl, webhookHttpMethod: 'POST', events });
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://10.0.0.1/', 'http://localhost:8080/', 'http://rebind.example/', 'ftp://a.example/']) {
      await expect(create(url), url).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    }
    await expect(create('https://a.example/', ['ping'])).rejects.toMatchObject({ code: 'INVALID_EVENT_TYPE' });
    await expect(create('https://a.example/', [])).rejects.toBeInstanceOf(SubscriptionError);
    await expect(t.service.publishEvent('webhook_received', {})).rejects.toMatchObject({ code: 'INVALID_EVENT_TYPE' });
    await expect(t.service.publishEvent('big', { x: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const { subscription, secret } = await create('https://a.example/');
    expect(JSON.stringify((await t.service.listSubscriptions({ limit: 100 })).items)).not.toContain(secret);
  });

  it('testSubscription sends a signed ping and reports the answer', async () => {
    const t = setup({ answer: () => ({ outcome: { status: 404 }, statusCode: 404, latencyMs: 7, responseSnippet: 'nope' }) });
    const { subscription, secret } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    const result = await t.service.testSubscription(subscription.id);
    expect(result).toEqual({ ok: false, statusCode: 404, latencyMs: 7, errorClass: 'http_status', responseSnippet: 'nope' });
    const [ping] = t.sent;
    expect(new Webhook(secret).verify(ping!.body!, ping!.headers)).toMatchObject({ type: 'ping', data: { subscriptionId: subscription.id } });
    await expect(t.service.testSubscription('sub_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('suspension tracker', () => {
  it('loses no count when two instances record 150 invalids concurrently: their writes conflict and the loser re-applies', async () => {
    // A store with latency, so both instances read version 0 before either writes.
    const store = memorySuspensionStore({ latencyMs: 2 });
    const a = suspensionTracker(store, { cacheMs: 0 });
    const b = suspensionTracker(store, { cacheMs: 0 });
    await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).recordInvalid('x:443', T0 + i)));
    const state = store.items.get('x:443')!;
    expect(store.conflicts).toBeGreaterThanOrEqual(1);
    expect(state.version).toBe(150);
    expect(state.recentInvalids).toHaveLength(SUSPENSION_RULE.threshold + 1);
    // It started when the 101st count was written, whichever instance wrote it.
    expect(state.suspendedUntil! - SUSPENSION_RULE.suspensionMs).toBeGreaterThanOrEqual(T0);
    expect(state.suspendedUntil! - SUSPENSION_RULE.suspensionMs).toBeLessThan(T0 + 150);
  });

  it('semaphore never runs more than its limit at once', async () => {
    const limit = semaphore(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
