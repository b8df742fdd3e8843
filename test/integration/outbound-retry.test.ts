// Kommo's retry rule through the local stack in simulated time (timeScale 600: the hour is 6 s,
// SQS delays shrink by as much), against real HTTP receivers on loopback.
//
// At this scale SQS's whole-second delays are 10 simulated minutes, so the retries run at roughly
// 10, 20 and 40 minutes and the fourth would fall due after the hour (≥ 64 minutes) without the
// end-of-hour clamp: the test of "within the hour" fails if the clamp is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_SCHEDULE } from '../../shared/domain/delivery/retry-policy.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { createSubscriptions } from '../../functions/api/app.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import type { Delivery } from '../../shared/ports/delivery.ts';

const SCALE = 600;
let stack: TestStack;
let outbound: SubscriptionService;
const receivers: Receiver[] = [];

beforeAll(async () => {
  stack = await startTestStack({ timeScale: SCALE });
  outbound = createSubscriptions(stack.apiConfig);
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.dispose();
});

async function receiver(respond: Receiver['respond']): Promise<Receiver> {
  const started = await startReceiver(respond);
  receivers.push(started);
  return started;
}

async function settled(subscriptionId: string, timeoutMs: number): Promise<Delivery> {
  return eventually(
    async () => {
      const [delivery] = (await outbound.listDeliveries(subscriptionId)).items;
      return delivery !== undefined && delivery.status !== 'pending' ? delivery : undefined;
    },
    timeoutMs,
    `delivery of ${subscriptionId} to settle`,
  );
}

describe('retries in simulated time', () => {
  it('fails twice then succeeds: 3 attempts with the same webhook-id', async () => {
    const flaky = await receiver((_request, index) => (index < 2 ? { status: 500, body: 'boom' } : { status: 200, body: 'fine' }));
    const { subscription } = await outbound.createSubscription({ webhookUrl: `${flaky.url}/flaky`, webhookHttpMethod: 'POST', events: ['retry.flaky'] });
    await outbound.publishEvent('retry.flaky', { n: 1 });
    const delivery = await settled(subscription.id, 20_000);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts.map((a) => [a.number, a.ok, a.statusCode])).toEqual([
      [1, false, 500],
      [2, false, 500],
      [3, true, 200],
    ]);
    expect(delivery.attempts[0]).toMatchObject({ errorClass: 'http_status', responseSnippet: 'boom' });
    expect(flaky.requests).toHaveLength(3);
    expect(new Set(flaky.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivery.webhookId]));
  }, 30_000);

  it('always failing: exactly 5 attempts, every retry scheduled within the hour, then failed; redelivery succeeds once it recovers', async () => {
    let up = false;
    const dead = await receiver(() => (up ? { status: 200, body: 'back' } : { status: 503, body: 'down' }));
    const { subscription } = await outbound.createSubscription({ webhookUrl: `${dead.url}/dead`, webhookHttpMethod: 'POST', events: ['retry.dead'] });
    await outbound.publishEvent('retry.dead', { n: 2 });
    // Each retry's scheduled time, as the pending delivery shows it (nextAttemptAt) for at least
    // a second of real time (SQS's shortest delay) until it runs: sampled every 20 ms.
    const scheduled = new Set<string>();
    const deadline = Date.now() + 60_000;
    let delivery: Delivery | undefined;
    while (delivery === undefined) {
      expect(Date.now(), 'the delivery to settle within 60 s').toBeLessThan(deadline);
      const [current] = (await outbound.listDeliveries(subscription.id)).items;
      if (current?.nextAttemptAt !== undefined) scheduled.add(current.nextAttemptAt);
      if (current !== undefined && current.status !== 'pending') delivery = current;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.map((a) => a.number)).toEqual([1, 2, 3, 4, 5]);
    expect(dead.requests).toHaveLength(5);
    const times = delivery.attempts.map((a) => Date.parse(a.at));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    // The hour: every retry was scheduled within it (the clamp aims 10 s before its end, which on
    // AWS covers SQS's whole-second delays; here the queue's latency is 600 times larger, so the
    // time a retry actually ran is checked against its schedule only: never early).
    const retries = [...scheduled].map(Date.parse).sort((a, b) => a - b);
    expect(retries).toHaveLength(4);
    for (const [index, at] of retries.entries()) {
      expect(at - times[0]!).toBeLessThanOrEqual(RETRY_SCHEDULE.windowMs);
      expect(times[index + 1]!).toBeGreaterThanOrEqual(at);
    }
    // No sixth attempt comes later.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(dead.requests).toHaveLength(5);

    up = true;
    const queued = await outbound.redeliver(subscription.id, delivery.id);
    expect(queued.status).toBe('pending');
    const redelivered = await settled(subscription.id, 20_000);
    expect(redelivered.status).toBe('succeeded');
    expect(redelivered.attempts.map((a) => [a.number, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, false],
      [5, false],
      [6, true],
    ]);
    expect(new Set(dead.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
  }, 90_000);
});
