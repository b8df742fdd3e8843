// SSRF through the local stack with private targets refused: creation refuses loopback, private,
// link-local, unspecified, metadata and mapped addresses, and so do a subscription's update and a
// sync's creation, names that resolve to such an address included; with private targets allowed (as a
// deployment can be) it still refuses loopback, link-local and unspecified. Delivery refuses them
// too at connect time — for a subscription created while they were allowed (or written straight
// into the table), and for a hostname that resolved to a public address at creation and to
// loopback at delivery (rebinding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/subscription-store.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { createSubscriptions } from '../../functions/api/app.ts';
import { syncServiceFromConfig } from '../../functions/sync/service.ts';
import type { LookupAll } from '../../shared/adapters/http/sender.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

/** Refused by a deployment, admitted by the local stack's permissive settings. */
const REFUSED_BY_DEFAULT = ['127.0.0.1', '[::1]', '10.0.0.1', '172.16.0.1', '192.168.1.1', 'localhost'];
/** Refused whatever the settings: metadata, link-local, unspecified, a mapped loopback. */
const ALWAYS_REFUSED = ['169.254.169.254', '169.254.10.1', '0.0.0.0', '[::]', '[::ffff:127.0.0.1]'];
const BLOCKED = [...REFUSED_BY_DEFAULT, ...ALWAYS_REFUSED];
/** The DNS of the creation and update checks: `public.test` is a public address, `internal.test` a private one, `loop.test` loopback. */
const TEST_DNS: Record<string, string> = { 'public.test': '93.184.216.34', 'internal.test': '10.20.30.40', 'loop.test': '127.0.0.1' };
const testLookupAll: LookupAll = async (hostname) => {
  const address = TEST_DNS[hostname];
  if (address === undefined) throw Object.assign(new Error(`${hostname} is not in the test's DNS`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};
const testResolve = async (hostname: string) => (await testLookupAll(hostname)).map((entry) => entry.address);

let stack: TestStack;
let receiver: Receiver;
let refusing: SubscriptionService;
let permissive: SubscriptionService;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({
    // The API side allows private targets (so the test can create them); the fan-out refuses them.
    allowPrivateTargets: true,
    fanoutAllowPrivateTargets: false,
    deliveryTimeoutMs: 1000,
    // The fan-out's DNS: `rebind.test` now answers loopback; any other name is unknown, so a
    // delivery that looked one up would fail as a connection error, not as blocked_target.
    fanoutLookupAll: async (hostname) => {
      if (hostname === 'rebind.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error(`${hostname} is not in the test's DNS`), { code: 'ENOTFOUND' });
    },
  });
  refusing = createSubscriptions({ ...stack.apiConfig, allowPrivateTargets: false, allowLoopbackTargets: false });
  // At creation, `rebind.test` resolved to a public address.
  permissive = createSubscriptions(stack.apiConfig, { resolve: async () => ['93.184.216.34'] });
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

  it('an update refuses a webhookUrl on a refused address, or on a name that resolves to one, and keeps the stored URL', async () => {
    const refusingWithDns = createSubscriptions({ ...stack.apiConfig, allowPrivateTargets: false, allowLoopbackTargets: false }, { resolve: testResolve });
    const stored = `http://public.test:${receiver.port}/x`;
    const { subscription } = await refusingWithDns.createSubscription({ webhookUrl: stored, webhookHttpMethod: 'POST', events: ['ssrf.never'] });
    for (const host of [...BLOCKED, 'internal.test', 'loop.test']) {
      await expect(refusingWithDns.updateSubscription(subscription.id, { webhookUrl: `http://${host}:${receiver.port}/x` }), host).rejects.toMatchObject({
        code: 'INVALID_TARGET',
      });
    }
    expect((await refusingWithDns.getSubscription(subscription.id))?.webhookUrl).toBe(stored);
    // What is refused is the address: a public one is taken.
    const moved = `http://public.test:${receiver.port}/moved`;
    expect((await refusingWithDns.updateSubscription(subscription.id, { webhookUrl: moved })).webhookUrl).toBe(moved);
    expect(await refusingWithDns.deleteSubscription(subscription.id)).toBe(true);
  });

  it('a sync is refused a private, loopback, link-local or metadata target, or a name that resolves to one, with private targets refused', async () => {
    const syncs = syncServiceFromConfig(
      {
        ...stack.apiConfig,
        eventsQueueUrl: stack.apiConfig.eventsQueueUrl!,
        syncQueueUrl: stack.apiConfig.syncQueueUrl!,
        deliveryRetentionDays: stack.apiConfig.deliveryRetentionDays!,
        allowPrivateTargets: false,
        allowLoopbackTargets: false,
      },
      { lookupAll: testLookupAll },
    );
    try {
      const definition = { sql: 'select 1 as id', primaryKey: 'id', mode: 'upsert', mapping: [], skipTest: true } as const;
      for (const host of [...BLOCKED, 'internal.test', 'loop.test']) {
        await expect(syncs.createSync({ ...definition, name: `ssrf ${host}`, webhookUrl: `http://${host}:${receiver.port}/x` }), host).rejects.toMatchObject({
          code: 'INVALID_TARGET',
        });
      }
      expect((await syncs.listSyncs()).items.filter((sync) => sync.name.startsWith('ssrf '))).toEqual([]);
      // What is refused is the address: a public one is taken.
      const { sync } = await syncs.createSync({ ...definition, name: 'ssrf public', webhookUrl: `http://public.test:${receiver.port}/x` });
      expect(await syncs.deleteSync(sync.id)).toBe(true);
    } finally {
      await syncs.close();
    }
  });

  it('with private targets allowed, creation still refuses loopback, link-local and unspecified targets', async () => {
    const privateOnly = createSubscriptions({ ...stack.apiConfig, allowPrivateTargets: true, allowLoopbackTargets: false });
    for (const host of ['127.0.0.1', '[::1]', 'localhost', ...ALWAYS_REFUSED]) {
      await expect(
        privateOnly.createSubscription({ webhookUrl: `http://${host}:${receiver.port}/x`, webhookHttpMethod: 'POST', events: ['ssrf.never'] }),
        host,
      ).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    }
    const { subscription } = await privateOnly.createSubscription({
      webhookUrl: `http://10.0.0.1:${receiver.port}/x`,
      webhookHttpMethod: 'POST',
      events: ['ssrf.never'],
    });
    expect(await privateOnly.deleteSubscription(subscription.id)).toBe(true);
  });

  it('delivery refuses them at connect time, including a hostname rebound to loopback', async () => {
    const ids: string[] = [];
    const dynamodb = dynamoDbClient(stack.apiConfig.aws);
    const store = dynamoSubscriptionStore(dynamodb, stack.apiConfig.tableName);
    for (const host of [...BLOCKED, 'rebind.test']) {
      const webhookUrl = `http://${host}:${receiver.port}/ssrf`;
      // Some addresses are refused even where private targets are allowed: write those straight
      // into the table, as if they had got in some other way.
      const alwaysRefused = ALWAYS_REFUSED.includes(host);
      const { subscription } = await permissive.createSubscription({
        webhookUrl: alwaysRefused ? `http://meta.test:${receiver.port}/ssrf` : webhookUrl,
        webhookHttpMethod: 'POST',
        events: ['ssrf.test'],
      });
      if (alwaysRefused) await store.put({ ...(await store.get(subscription.id))!, webhookUrl });
      ids.push(subscription.id);
    }
    dynamodb.destroy();
    await permissive.publishEvent('ssrf.test', { n: 1 });
    const deliveries = await eventually(
      async () => {
        const all = await Promise.all(ids.map(async (id) => ((await permissive.listDeliveries(id)).items)[0]));
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
