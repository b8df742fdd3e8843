// Outbound deliveries through the local stack, to real HTTP receivers on loopback.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundService } from '../../shared/services/outbound.ts';
import type { OutboundService } from '../../shared/ports/outbound.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';

let stack: TestStack;
let outbound: OutboundService;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ timeScale: 1 });
  outbound = createOutboundService(stack.apiConfig);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

describe('fan-out to healthy receivers', () => {
  it('one event reaches every matching subscription exactly once, signed', async () => {
    const subs = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        outbound.createSubscription({ webhookUrl: `${receiver.url}/healthy/${name}`, webhookHttpMethod: 'POST', events: ['order.paid'] }),
      ),
    );
    await outbound.createSubscription({ webhookUrl: `${receiver.url}/healthy/other`, webhookHttpMethod: 'POST', events: ['order.created'] });
    const published = await outbound.publishEvent('order.paid', { orderId: 42, total: '9.90' });
    await eventually(async () => (receiver.at('/healthy/').length >= 3 ? true : undefined), 15_000, 'three deliveries');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const got = receiver.at('/healthy/');
    expect(got.map((r) => r.url).sort()).toEqual(['/healthy/a', '/healthy/b', '/healthy/c']);
    for (const { subscription, secret } of subs) {
      const request = got.find((r) => r.url.endsWith(`/${subscription.webhookUrl.split('/').pop()}`))!;
      const payload = new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as Record<string, unknown>;
      expect(payload).toMatchObject({ type: 'order.paid', id: published.id, data: { orderId: 42, total: '9.90' } });
      const deliveries = await outbound.listDeliveries(subscription.id);
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'succeeded', eventId: published.id, webhookId: request.headers['webhook-id'] });
      expect(deliveries[0]!.attempts).toMatchObject([{ number: 1, ok: true, statusCode: 200, responseSnippet: 'ok' }]);
    }
  });
});
