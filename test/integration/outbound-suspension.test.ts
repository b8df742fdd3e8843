// Kommo's throttling rule through the local stack in simulated time (timeScale 120: 5 minutes
// are 2.5 s): 150 invalid responses from one address suspend its retries for 5 minutes; retries
// that fall due meanwhile wait for the end and then all succeed — nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoSuspensionStore } from '../../shared/adapters/outbound-store.ts';
import { createDynamoDbClient } from '../../shared/adapters/management-store.ts';
import { SUSPENSION_RULE } from '../../shared/domain/outbound/suspension.ts';
import type { OutboundService } from '../../shared/ports/outbound.ts';
import { createOutboundService } from '../../shared/services/outbound.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

const SCALE = 120;
let stack: TestStack;
let outbound: OutboundService;
let busy: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ timeScale: SCALE });
  outbound = createOutboundService(stack.apiConfig);
});

afterAll(async () => {
  await busy?.close();
  await stack?.dispose();
});

describe('suspension per address', () => {
  it('150 invalid responses within 5 minutes hold retries for 5 minutes, then they resume; nothing lost', async () => {
    let up = false;
    busy = await startReceiver(() => (up ? { status: 200 } : { status: 500, body: 'overloaded' }));
    const subscriptions: Array<{ id: string }> = [];
    for (let i = 0; i < 150; i++) {
      subscriptions.push(
        (await outbound.createSubscription({ webhookUrl: `${busy.url}/hook/${i}`, webhookHttpMethod: 'POST', events: ['load.burst'] }))
          .subscription,
      );
    }
    await outbound.publishEvent('load.burst', { n: 1 });
    await eventually(async () => (busy.requests.length >= 150 ? true : undefined), 20_000, '150 first attempts');
    const firstWaveEnd = Date.now();
    up = true;

    const dynamodb = createDynamoDbClient(stack.apiConfig.aws);
    const state = await dynamoSuspensionStore(dynamodb, stack.apiConfig.tableName).get(`127.0.0.1:${busy.port}`);
    dynamodb.destroy();
    expect(state.suspendedUntil).toBeDefined();
    const suspensionStart = state.suspendedUntil! - SUSPENSION_RULE.suspensionMs;
    // Simulated → wall clock, as the stack's clock runs.
    const origin = stack.apiConfig.timeOriginMs!;
    const wall = (simulated: number) => origin + (simulated - origin) / SCALE;

    const deliveries = await eventually(
      async () => {
        const all = await Promise.all(subscriptions.map(async (s) => (await outbound.listDeliveries(s.id))[0]));
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
    const retries = busy.requests.slice(150);
    expect(retries).toHaveLength(150);
    expect(Math.min(...retries.map((r) => r.at))).toBeGreaterThanOrEqual(Math.floor(wall(state.suspendedUntil!)) - 5);
    expect(firstWaveEnd).toBeLessThan(wall(state.suspendedUntil!));
  }, 80_000);
});
