// Kommo's throttling rule through the local stack in simulated time (timeScale 30: 5 minutes
// are 10 s): 150 invalid responses from one address (a subscription URL; 150 subscriptions share
// it here) suspend its retries for 5 minutes; retries that fall due meanwhile wait for the end and
// then all succeed — nothing is lost. A subscription on the same host and port with another path
// is another address: its retry runs when due, during that suspension.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoSuspensionStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { addressOf } from '../../shared/domain/delivery/queue-messages.ts';
import { SUSPENSION_RULE } from '../../shared/domain/delivery/suspension.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { createSubscriptions } from '../../functions/api/app.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

// The first wave (150 attempts) must be counted before the earliest retry falls due (1 simulated
// minute ± 20%): at 30× that is at least 1.6 s of real time, which a loaded machine still meets.
const SCALE = 30;
let stack: TestStack;
let outbound: SubscriptionService;
let busy: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ timeScale: SCALE });
  outbound = createSubscriptions(stack.apiConfig);
});

afterAll(async () => {
  await busy?.close();
  await stack?.dispose();
});

describe('suspension per address (subscription URL)', () => {
  it('150 invalid responses within 5 minutes hold retries for 5 minutes, then they resume; nothing lost; another path is not held', async () => {
    let up = false;
    let neighbourAnswers = 0;
    busy = await startReceiver((request) =>
      request.url === '/other'
        ? neighbourAnswers++ === 0
          ? { status: 500, body: 'once' }
          : { status: 200 }
        : up
          ? { status: 200 }
          : { status: 500, body: 'overloaded' },
    );
    const subscriptions: Array<{ id: string }> = [];
    for (let i = 0; i < 150; i += 10) {
      const created = await Promise.all(
        Array.from({ length: 10 }, () =>
          outbound.createSubscription({ webhookUrl: `${busy.url}/hook`, webhookHttpMethod: 'POST', events: ['load.burst'] }),
        ),
      );
      subscriptions.push(...created.map((c) => c.subscription));
    }
    const neighbour = (
      await outbound.createSubscription({ webhookUrl: `${busy.url}/other`, webhookHttpMethod: 'POST', events: ['load.burst'] })
    ).subscription;
    await outbound.publishEvent('load.burst', { n: 1 });
    await eventually(async () => (busy.at('/hook').length >= 150 ? true : undefined), 20_000, '150 first attempts');
    const firstWaveEnd = Date.now();
    up = true;

    const dynamodb = dynamoDbClient(stack.apiConfig.aws);
    const suspensions = dynamoSuspensionStore(dynamodb, stack.apiConfig.tableName);
    const state = await eventually(
      async () => {
        const current = await suspensions.get(addressOf(`${busy.url}/hook`));
        return current.suspendedUntil === undefined ? undefined : current;
      },
      10_000,
      'the address to be suspended',
    );
    const neighbourState = await suspensions.get(addressOf(`${busy.url}/other`));
    dynamodb.destroy();
    expect(state.suspendedUntil).toBeDefined();
    expect(neighbourState.suspendedUntil).toBeUndefined();
    // The neighbour's retry (due ~1 simulated minute after its first attempt) ran during the
    // suspension of the other path, not after it.
    const neighbourDelivery = await eventually(
      async () => {
        const [delivery] = (await outbound.listDeliveries(neighbour.id)).items;
        return delivery?.status === 'succeeded' ? delivery : undefined;
      },
      20_000,
      'the neighbour delivery to succeed',
    );
    expect(neighbourDelivery.attempts.map((a) => a.ok)).toEqual([false, true]);
    expect(Date.parse(neighbourDelivery.attempts[1]!.at)).toBeLessThan(state.suspendedUntil!);
    const suspensionStart = state.suspendedUntil! - SUSPENSION_RULE.suspensionMs;
    // Simulated → wall clock, as the stack's clock runs.
    const origin = stack.apiConfig.timeOriginMs!;
    const wall = (simulated: number) => origin + (simulated - origin) / SCALE;

    const deliveries = await eventually(
      async () => {
        const all = await Promise.all(subscriptions.map(async (s) => ((await outbound.listDeliveries(s.id)).items)[0]));
        return all.every((d) => d?.status === 'succeeded') ? all : undefined;
      },
      40_000,
      'every delivery to succeed after the suspension',
    );
    for (const delivery of deliveries) {
      expect(delivery!.attempts.map((a) => a.ok)).toEqual([false, true]);
      // The retry ran after the suspension, though it fell due (~1 simulated minute) inside it.
      expect(Date.parse(delivery!.attempts[1]!.at)).toBeGreaterThanOrEqual(state.suspendedUntil!);
    }
    // The 150 failures came in well within 5 minutes, and the 101st started the suspension.
    const firstTimes = deliveries.map((d) => Date.parse(d!.attempts[0]!.at)).sort((a, b) => a - b);
    expect(firstTimes.at(-1)! - firstTimes[0]!).toBeLessThan(SUSPENSION_RULE.windowMs);
    expect(suspensionStart).toBe(firstTimes[SUSPENSION_RULE.threshold]);
    // The receiver saw nothing between the first wave and the end of the suspension.
    const retries = busy.at('/hook').slice(150);
    expect(retries).toHaveLength(150);
    expect(Math.min(...retries.map((r) => r.at))).toBeGreaterThanOrEqual(Math.floor(wall(state.suspendedUntil!)) - 5);
    expect(firstWaveEnd).toBeLessThan(wall(state.suspendedUntil!));
  }, 80_000);
});
