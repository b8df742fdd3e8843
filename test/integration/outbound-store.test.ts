// The outbound DynamoDB store against dynalite, through the real SubscriptionService and subscription
// directory: custom header values encrypted at rest (and old plaintext items still read, then
// encrypted on their next update), conditional subscription updates, and paged delivery lists.
import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources } from '../../infra/local/resources.ts';
import { dynamoDeliveryStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { aesGcmSecretCipher } from '../../shared/adapters/crypto/secret-cipher.ts';
import type { ApiConfig } from '../../shared/config.ts';
import { plannedDelivery } from '../../shared/domain/delivery/log.ts';
import { deliveryIdFor } from '../../shared/domain/delivery/queue-messages.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { createSubscriptions } from '../../functions/api/app.ts';
import { destinationDirectory, destinationSource } from '../../shared/services/delivery/destinations.ts';
import { dynamoSubscriptionStore, subscriptionKey } from '../../shared/adapters/dynamodb/subscription-store.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

let emulators: Emulators;
let config: ApiConfig;
let dynamodb: DynamoDBClient;
let outbound: SubscriptionService;
const localKey = randomBytes(32).toString('base64');

beforeAll(async () => {
  emulators = await startEmulators();
  const resources = await provisionResources(emulators.endpoints, { prefix: 'outbound-store' });
  config = {
    aws: { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } },
    tableName: resources.tableName,
    lakeBucket: resources.lakeBucket,
    allowPrivateTargets: false,
    secrets: { localKey },
  };
  dynamodb = dynamoDbClient(config.aws);
  outbound = createSubscriptions(config, { resolve: async () => ['93.184.216.34'] });
});

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

const rawItem = async (id: string) =>
  (await dynamodb.send(new GetItemCommand({ TableName: config.tableName, Key: subscriptionKey(id), ConsistentRead: true }))).Item;

const directory = () =>
  destinationDirectory(destinationSource({ subscriptions: dynamoSubscriptionStore(dynamodb, config.tableName) }), { ttlMs: 0, cipher: aesGcmSecretCipher(localKey) });

describe('custom header values at rest', () => {
  it('are stored encrypted (names in the clear), shown masked, and decrypted for delivery', async () => {
    const { subscription } = await outbound.createSubscription({
      webhookUrl: 'https://hooks.example.com/in',
      webhookHttpMethod: 'POST',
      events: ['x.y'],
      headers: { Authorization: 'Bearer target-credential', 'X-Team': 'data' },
    });
    expect(subscription.headerNames).toEqual(['Authorization', 'X-Team']);
    const item = (await rawItem(subscription.id))!;
    expect(JSON.stringify(item)).not.toContain('target-credential');
    expect(item.headers).toBeUndefined();
    expect(item.headerNames).toEqual({ L: [{ S: 'Authorization' }, { S: 'X-Team' }] });
    expect(item.headersCiphertext?.S).toMatch(/^aesgcm:v1:/);
    const stored = (await directory().get(subscription.id))!;
    expect(await directory().headersOf(stored)).toEqual({ Authorization: 'Bearer target-credential', 'X-Team': 'data' });
    expect(JSON.stringify(await outbound.getSubscription(subscription.id))).not.toContain('target-credential');
  });

  it('an item written before encryption is still read, and its next update encrypts the values', async () => {
    const id = 'sub_legacy0000000000001';
    await dynamodb.send(
      new PutItemCommand({
        TableName: config.tableName,
        Item: {
          ...subscriptionKey(id),
          id: { S: id },
          webhookUrl: { S: 'https://hooks.example.com/old' },
          webhookHttpMethod: { S: 'POST' },
          events: { L: [{ S: 'x.y' }] },
          headers: { S: JSON.stringify({ 'X-Api-Key': 'old-plaintext-key' }) },
          format: { S: 'json' },
          enabled: { BOOL: true },
          createdAt: { S: '2026-01-01T00:00:00.000Z' },
          updatedAt: { S: '2026-01-01T00:00:00.000Z' },
          secretCiphertext: { S: await aesGcmSecretCipher(localKey).encrypt('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id) },
        },
      }),
    );
    expect(await outbound.getSubscription(id)).toMatchObject({ headerNames: ['X-Api-Key'] });
    expect(await directory().headersOf((await directory().get(id))!)).toEqual({ 'X-Api-Key': 'old-plaintext-key' });

    expect(await outbound.updateSubscription(id, { description: 'touched' })).toMatchObject({ headerNames: ['X-Api-Key'], description: 'touched' });
    const item = (await rawItem(id))!;
    expect(JSON.stringify(item)).not.toContain('old-plaintext-key');
    expect(item.headersCiphertext?.S).toMatch(/^aesgcm:v1:/);
    expect(item.version).toEqual({ N: '1' });
    expect(await directory().headersOf((await directory().get(id))!)).toEqual({ 'X-Api-Key': 'old-plaintext-key' });
  });
});

describe('conditional subscription updates', () => {
  it('replace writes only over the version read: never recreates a deleted item, never overwrites a newer one', async () => {
    const store = dynamoSubscriptionStore(dynamodb, config.tableName);
    const { subscription } = await outbound.createSubscription({ webhookUrl: 'https://hooks.example.com/c', webhookHttpMethod: 'POST', events: ['x.y'] });
    const read = (await store.get(subscription.id))!;
    expect(await store.replace({ ...read, description: 'a', version: read.version + 1 }, read.version)).toBe('replaced');
    // A second writer that read the same version loses.
    expect(await store.replace({ ...read, description: 'b', version: read.version + 1 }, read.version)).toBe('conflict');
    expect((await store.get(subscription.id))!.description).toBe('a');
    // Deleted meanwhile: the update does not bring it back.
    await dynamodb.send(new DeleteItemCommand({ TableName: config.tableName, Key: subscriptionKey(subscription.id) }));
    expect(await store.replace({ ...read, version: read.version + 2 }, read.version + 1)).toBe('missing');
    expect(await rawItem(subscription.id)).toBeUndefined();
    await expect(outbound.updateSubscription(subscription.id, { enabled: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('delivery list pages', () => {
  it('pages through the failed deliveries of a range with afterId, in either order, without gaps or repeats', async () => {
    const deliveries = dynamoDeliveryStore(dynamodb, config.tableName);
    const subscriptionId = 'sub_pages000000000000001';
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const failedIds: string[] = [];
    for (let n = 0; n < 30; n++) {
      const at = t0 + n * 1000;
      const record = plannedDelivery({ id: `evt_${n}`, type: 'x.y', timestamp: at }, { id: subscriptionId, address: 'a' }, { now: Date.now(), retentionDays: 30 });
      const id = record.id;
      expect(id).toBe(deliveryIdFor(`evt_${n}`, subscriptionId, at));
      const failed = n % 3 !== 0;
      if (failed) failedIds.push(id);
      expect(await deliveries.create({ ...record, status: failed ? 'failed' : 'succeeded' })).toBe(true);
    }
    for (const descending of [false, true]) {
      const seen: string[] = [];
      const pages: number[] = [];
      let afterId: string | undefined;
      for (;;) {
        const page = await deliveries.list(subscriptionId, { status: 'failed', limit: 6, afterId, descending, now: Date.now() });
        pages.push(page.length);
        seen.push(...page.map((record) => record.id));
        if (page.length < 6) break;
        afterId = page.at(-1)!.id;
      }
      expect(seen).toEqual(descending ? [...failedIds].reverse() : failedIds);
      expect(pages).toEqual([6, 6, 6, 2]);
    }
  });
});
