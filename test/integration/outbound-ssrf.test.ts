// SSRF through the local stack with private targets refused: creation refuses loopback, private,
// link-local, metadata and mapped addresses and a hostname resolving to loopback; delivery refuses
// them too at connect time — for a subscription created while they were allowed, and for a
// hostname that resolved to a public address at creation and to loopback at delivery (rebinding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../shared/adapters/management-store.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/outbound-store.ts';
import type { OutboundService } from '../../shared/ports/outbound.ts';
import { createOutboundService } from '../../shared/services/outbound.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

const BLOCKED = ['127.0.0.1', '[::1]', '10.0.0.1', '172.16.0.1', '192.168.1.1', '169.254.169.254', '[::ffff:127.0.0.1]', 'localhost'];

let stack: TestStack;
let receiver: Receiver;
let refusing: OutboundService;
let permissive: OutboundService;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({
    // The API side allows private targets (so the test can create them); the fan-out refuses them.
    allowPrivateTargets: true,
    fanoutAllowPrivateTargets: false,
    deliveryTimeoutMs: 1000,
    // The fan-out's DNS: `rebind.test` now answers loopback.
    fanoutLookupAll: async (hostname) =>
      hostname === 'rebind.test' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '127.0.0.1', family: 4 }],
  });
  refusing = createOutboundService({ ...stack.apiConfig, allowPrivateTargets: false });
  // At creation, `rebind.test` resolved to a public address.
  permissive = createOutboundService(stack.apiConfig, { resolve: async () => ['93.184.216.34'] });
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

describe('SSRF guard', () => {
  it('creation refuses every private, loopback, link-local, metadata and mapped target', async () => {
    for (const host of BLOCKED) {
      await expect(
        refusing.createSubscription({ webhookUrl: `http://${host}:${receiver.port}/x`, webhookHttpMethod: 'POST', events: ['ssrf.test'] }),
        host,
      ).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    }
  });

  it('delivery refuses them at connect time, including a hostname rebound to loopback', async () => {
    const ids: string[] = [];
    const dynamodb = createDynamoDbClient(stack.apiConfig.aws);
    const store = dynamoSubscriptionStore(dynamodb, stack.apiConfig.tableName);
    for (const host of [...BLOCKED, 'rebind.test']) {
      const webhookUrl = `http://${host}:${receiver.port}/ssrf`;
      // Metadata addresses are refused even where private targets are allowed: write that one
      // straight into the table, as if it had got in some other way.
      const metadata = host === '169.254.169.254';
      const { subscription } = await permissive.createSubscription({
        webhookUrl: metadata ? `http://meta.test:${receiver.port}/ssrf` : webhookUrl,
        webhookHttpMethod: 'POST',
        events: ['ssrf.test'],
      });
      if (metadata) await store.put({ ...(await store.get(subscription.id))!, webhookUrl });
      ids.push(subscription.id);
    }
    dynamodb.destroy();
    await permissive.publishEvent('ssrf.test', { n: 1 });
    const deliveries = await eventually(
      async () => {
        const all = await Promise.all(ids.map(async (id) => (await permissive.listDeliveries(id))[0]));
        return all.every((d) => d?.status === 'failed') ? all : undefined;
      },
      20_000,
      'every delivery to be refused',
    );
    for (const delivery of deliveries) {
      expect(delivery!.attempts).toMatchObject([{ number: 1, ok: false, errorClass: 'blocked_target' }]);
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
