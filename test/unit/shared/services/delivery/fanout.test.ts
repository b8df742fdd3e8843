// The fan-out over the in-memory delivery world (test/support/delivery-world.ts), with an injected
// clock and scripted endpoint answers: matching and idempotent fan-out, Kommo's retry budget, the
// suspension hold, stale jobs, redelivery with a fresh budget, the event cache, request formats.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { DeliveryRequest } from '../../../../../shared/domain/delivery/request.ts';
import { addressOf, parseQueueMessage, serializeQueueMessage } from '../../../../../shared/domain/delivery/queue-messages.ts';
import { RETRY_SCHEDULE } from '../../../../../shared/domain/delivery/retry-policy.ts';
import { SUSPENSION_RULE } from '../../../../../shared/domain/delivery/suspension.ts';
import type { SendResult } from '../../../../../shared/ports/delivery.ts';
import { EVENT_CACHE_BYTES } from '../../../../../shared/services/delivery/event-cache.ts';
import { deliveryWorld } from '../../../../support/delivery-world.ts';

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
