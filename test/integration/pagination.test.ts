// Pagination against DynamoDB (dynalite) through the api handler: every list pages with Query
// Limit/ExclusiveStartKey to the same items as one large page; a deliveries cursor of one
// subscription never reaches another's deliveries; a cursor outside a from/to range is no 500.
// Every answer is checked against the OpenAPI document.
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, type ApiHandler } from '../../functions/api/app.ts';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources } from '../../infra/local/resources.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { dynamoDeliveryStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { plannedDelivery } from '../../shared/domain/delivery/log.ts';
import type { ManagementStore } from '../../shared/ports/management.ts';
import { sharedConformanceChecker } from '../support/openapi-conformance.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/subscription-store.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

let emulators: Emulators;
let handler: ApiHandler;
let store: ManagementStore;
let credential: string;
let tableName: string;
let dynamodb: ReturnType<typeof dynamoDbClient>;
const BASE = Date.parse('2026-11-20T12:00:00.000Z');

beforeAll(async () => {
  emulators = await startEmulators();
  const resources = await provisionResources(emulators.endpoints, { prefix: 'pagination' });
  tableName = resources.tableName;
  const aws = { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } };
  handler = createApiHandler({ aws, tableName, lakeBucket: resources.lakeBucket, allowPrivateTargets: false, secrets: { localKey: randomBytes(32).toString('base64') } });
  dynamodb = dynamoDbClient(aws);
  store = dynamoManagementStore(dynamodb, tableName);
  credential = (await store.createAdmin({ name: 'it', createdAt: new Date().toISOString() })).credential;
});

afterAll(async () => {
  dynamodb?.destroy();
  await emulators?.stop();
});

async function get(pathAndQuery: string) {
  const [path = '', query = ''] = pathAndQuery.split('?');
  const event = {
    version: '2.0',
    routeKey: 'ANY /v4/{proxy+}',
    rawPath: path,
    rawQueryString: query,
    headers: { authorization: `Bearer ${credential}` },
    requestContext: { http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' }, stage: '$default' },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const result = await handler(event);
  (await sharedConformanceChecker()).check({ method: 'GET', path: pathAndQuery, status: result.statusCode ?? 200, headers: result.headers ?? {}, body: result.body ?? '' });
  return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') as Record<string, any> };
}

async function all(path: string, field: string, limit: number) {
  const items: unknown[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    items.push(...page.body[field]);
    cursor = page.body.next_cursor;
    pages++;
  } while (cursor !== null && pages < 100);
  return { items, pages };
}

async function subscription(suffix: string): Promise<string> {
  const id = `sub_${suffix.padEnd(20, '0')}`;
  const at = new Date(BASE).toISOString();
  await dynamoSubscriptionStore(dynamodb, tableName).put({
    id,
    webhookUrl: `https://hooks.example.com/${suffix}`,
    webhookHttpMethod: 'POST',
    events: ['webhook_received'],
    headerNames: [],
    format: 'json',
    enabled: true,
    createdAt: at,
    updatedAt: at,
    secretCiphertext: 'unused',
    version: 1,
  });
  return id;
}

async function deliveries(subscriptionId: string, count: number): Promise<string[]> {
  const deliveryStore = dynamoDeliveryStore(dynamodb, tableName);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const eventTimestampMs = BASE + i * 60_000;
    const record = plannedDelivery({ id: `evt_${i}`, type: 'webhook_received', timestamp: eventTimestampMs }, { id: subscriptionId, address: 'a' }, { now: Date.now(), retentionDays: 30 });
    const id = record.id;
    await deliveryStore.create(record);
    ids.push(id);
  }
  return ids;
}

describe('pagination on DynamoDB', () => {
  it('pages pipelines, tokens, admins and subscriptions to the same items as one large page', async () => {
    for (let i = 0; i < 5; i++) {
      await store.createPipeline({ name: `p${i}`, createdAt: new Date().toISOString() });
      await store.createToken({ name: `t${i}`, createdAt: new Date().toISOString() });
      await store.createAdmin({ name: `a${i}`, createdAt: new Date().toISOString() });
      await subscription(`list${i}`);
    }
    for (const [path, field] of [
      ['/v4/pipelines', 'pipelines'],
      ['/v4/tokens', 'tokens'],
      ['/v4/admins', 'admins'],
      ['/v4/webhook-subscriptions', 'subscriptions'],
    ] as const) {
      const whole = await all(path, field, 1000);
      expect(whole.pages, path).toBe(1);
      expect(whole.items.length, path).toBeGreaterThanOrEqual(5);
      const paged = await all(path, field, 2);
      expect(paged.items, path).toEqual(whole.items);
      expect(paged.pages, path).toBe(Math.ceil(whole.items.length / 2));
    }
  });

  it('pages a delivery log newest first, within a range, and never into another subscription\'s log', async () => {
    const a = await subscription('pagea');
    const b = await subscription('pageb');
    const ofA = await deliveries(a, 7);
    const ofB = await deliveries(b, 3);
    const pagedA = await all(`/v4/webhook-subscriptions/${a}/deliveries`, 'deliveries', 3);
    expect(pagedA.items.map((d: any) => d.id)).toEqual([...ofA].reverse());
    expect(pagedA.pages).toBe(3);

    const from = new Date(BASE + 2 * 60_000).toISOString();
    const to = new Date(BASE + 5 * 60_000).toISOString();
    const ranged = await all(`/v4/webhook-subscriptions/${a}/deliveries?from=${from}&to=${to}`, 'deliveries', 2);
    expect(ranged.items.map((d: any) => d.id)).toEqual(ofA.slice(2, 6).reverse());

    // A's cursor on B's log starts B's log at that position: B's deliveries only.
    const firstOfA = await get(`/v4/webhook-subscriptions/${a}/deliveries?limit=1`);
    const crossed = await get(`/v4/webhook-subscriptions/${b}/deliveries?limit=10&cursor=${firstOfA.body.next_cursor}`);
    expect(crossed.status).toBe(200);
    for (const delivery of crossed.body.deliveries) expect(ofB).toContain(delivery.id);

    // A cursor beyond either end of a range is no error.
    const newest = firstOfA.body.next_cursor as string;
    const early = `from=${new Date(BASE).toISOString()}&to=${new Date(BASE + 60_000).toISOString()}`;
    expect((await get(`/v4/webhook-subscriptions/${a}/deliveries?${early}&cursor=${newest}`)).body.deliveries.map((d: any) => d.id)).toEqual([ofA[1], ofA[0]]);
    const late = `from=${new Date(BASE + 6 * 60_000).toISOString()}`;
    const oldest = (await all(`/v4/webhook-subscriptions/${a}/deliveries`, 'deliveries', 6)).items;
    expect(oldest).toHaveLength(7);
    const lastPage = await get(`/v4/webhook-subscriptions/${a}/deliveries?limit=6`);
    expect((await get(`/v4/webhook-subscriptions/${a}/deliveries?${late}&cursor=${lastPage.body.next_cursor}`)).body).toEqual({ deliveries: [], next_cursor: null });
  });
});
