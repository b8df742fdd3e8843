// DynamoDB side of the outbound engine, in the single table (docs/design.md, "Outbound items"):
//
//   subscription   pk SUB                  sk <subscription id>
//   event          pk EVENT#<event id>     sk EVENT
//   delivery       pk DELIVERY#<sub id>    sk <delivery id>  (ids sort by event time)
//   suspension     pk ADDRESS#<address>    sk SUSPENSION   (address: SHA-256 of the subscription URL)
//
// dynalite has no TTL: every read drops items whose `expiresAt` (epoch seconds) has passed.
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import type { AttemptEntry, DeliveryRecord, DeliveryStatus } from '../../domain/delivery/log.ts';
import type { SuspensionState } from '../../domain/delivery/suspension.ts';
import { emptySuspensionState, stateExpiresAt } from '../../domain/delivery/suspension.ts';
import type {
  DeliveryListQuery,
  DeliveryStore,
  EventStore,
  StoredEvent,
  StoredSubscription,
  SubscriptionStore,
  SuspensionStore,
} from '../../ports/delivery.ts';
import { pageOf } from '../../ports/page.ts';
import { queryPageItems } from './pages.ts';

type Item = Record<string, AttributeValue>;

export const SUBSCRIPTION_PK = 'SUB';
const key = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { S: sk } });
export const subscriptionKey = (id: string) => key(SUBSCRIPTION_PK, id);
export const eventKey = (id: string) => key(`EVENT#${id}`, 'EVENT');
export const deliveryPk = (subscriptionId: string) => `DELIVERY#${subscriptionId}`;
export const deliveryKey = (subscriptionId: string, deliveryId: string) => key(deliveryPk(subscriptionId), deliveryId);
export const suspensionKey = (address: string) => key(`ADDRESS#${address}`, 'SUSPENSION');

const s = (item: Item, name: string): string | undefined => item[name]?.S;
const n = (item: Item, name: string): number | undefined => (item[name]?.N === undefined ? undefined : Number(item[name]!.N));
const optS = (name: string, value: string | undefined): Item => (value === undefined ? {} : { [name]: { S: value } });
const optN = (name: string, value: number | undefined): Item => (value === undefined ? {} : { [name]: { N: String(value) } });
const nowSeconds = () => Math.floor(Date.now() / 1000);
const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException';

// ---------------------------------------------------------------- subscriptions

export function subscriptionToItem(subscription: StoredSubscription): Item {
  return {
    ...subscriptionKey(subscription.id),
    id: { S: subscription.id },
    webhookUrl: { S: subscription.webhookUrl },
    webhookHttpMethod: { S: subscription.webhookHttpMethod },
    events: { L: subscription.events.map((event) => ({ S: event })) },
    ...optN('pipelineId', subscription.pipelineId),
    ...optS('description', subscription.description),
    // Names only in the clear; values are encrypted (never the legacy plaintext `headers`).
    headerNames: { L: subscription.headerNames.map((name) => ({ S: name })) },
    ...optS('headersCiphertext', subscription.headersCiphertext),
    format: { S: subscription.format },
    enabled: { BOOL: subscription.enabled },
    createdAt: { S: subscription.createdAt },
    updatedAt: { S: subscription.updatedAt },
    secretCiphertext: { S: subscription.secretCiphertext },
    version: { N: String(subscription.version) },
  };
}

export function itemToSubscription(item: Item): StoredSubscription {
  const pipelineId = n(item, 'pipelineId');
  const description = s(item, 'description');
  const headersCiphertext = s(item, 'headersCiphertext');
  // Items written before header values were encrypted keep them in plaintext `headers` (JSON).
  const legacy = s(item, 'headers');
  const plaintextHeaders = headersCiphertext === undefined && legacy !== undefined ? (JSON.parse(legacy) as Record<string, string>) : undefined;
  const headerNames = item.headerNames?.L?.map((value) => value.S ?? '') ?? Object.keys(plaintextHeaders ?? {});
  return {
    id: s(item, 'id')!,
    webhookUrl: s(item, 'webhookUrl')!,
    webhookHttpMethod: s(item, 'webhookHttpMethod') === 'GET' ? 'GET' : 'POST',
    events: (item.events?.L ?? []).map((value) => value.S ?? ''),
    ...(pipelineId === undefined ? {} : { pipelineId }),
    ...(description === undefined ? {} : { description }),
    headerNames,
    ...(headersCiphertext === undefined ? {} : { headersCiphertext }),
    ...(plaintextHeaders === undefined || Object.keys(plaintextHeaders).length === 0 ? {} : { plaintextHeaders }),
    format: s(item, 'format') === 'form' ? 'form' : 'json',
    enabled: item.enabled?.BOOL ?? true,
    createdAt: s(item, 'createdAt') ?? '',
    updatedAt: s(item, 'updatedAt') ?? '',
    secretCiphertext: s(item, 'secretCiphertext') ?? '',
    version: n(item, 'version') ?? 0,
  };
}

export function dynamoSubscriptionStore(client: DynamoDBClient, tableName: string): SubscriptionStore {
  return {
    async put(subscription, options = {}) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: subscriptionToItem(subscription),
            ...(options.ifAbsent === true ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async replace(subscription, expectedVersion) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: subscriptionToItem(subscription),
            // Items from before `version` existed count as version 0.
            ConditionExpression:
              expectedVersion === 0
                ? 'attribute_exists(pk) AND (attribute_not_exists(version) OR version = :expected)'
                : 'attribute_exists(pk) AND version = :expected',
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          }),
        );
        return 'replaced';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const { Item } = await client.send(
          new GetItemCommand({ TableName: tableName, Key: subscriptionKey(subscription.id), ConsistentRead: true, ProjectionExpression: 'pk' }),
        );
        return Item === undefined ? 'missing' : 'conflict';
      }
    },
    async get(id) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: subscriptionKey(id), ConsistentRead: true }));
      return Item === undefined ? undefined : itemToSubscription(Item);
    },
    async list() {
      const items = await queryAll(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: SUBSCRIPTION_PK } },
      });
      return items.map(itemToSubscription);
    },
    async listPage({ limit, after }) {
      const items = await queryPageItems(
        client,
        { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: SUBSCRIPTION_PK } } },
        limit,
        after === undefined ? undefined : subscriptionKey(after),
      );
      return pageOf(items.map(itemToSubscription), limit, (subscription) => subscription.id);
    },
    async delete(id) {
      const { Attributes } = await client.send(
        new DeleteItemCommand({ TableName: tableName, Key: subscriptionKey(id), ReturnValues: 'ALL_OLD' }),
      );
      return Attributes !== undefined;
    },
  };
}

// ---------------------------------------------------------------- events

export function dynamoEventStore(client: DynamoDBClient, tableName: string): EventStore {
  return {
    async put(event) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...eventKey(event.id),
              id: { S: event.id },
              type: { S: event.type },
              timestamp: { N: String(event.timestamp) },
              ...optN('pipelineId', event.pipelineId),
              data: { S: event.dataJson }, // the JSON text as it arrived, never re-serialised
              expiresAt: { N: String(event.expiresAt) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async get(id) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: eventKey(id) }));
      if (Item === undefined) return undefined;
      const expiresAt = n(Item, 'expiresAt') ?? 0;
      if (expiresAt <= nowSeconds()) return undefined;
      const pipelineId = n(Item, 'pipelineId');
      const event: StoredEvent = {
        id: s(Item, 'id')!,
        type: s(Item, 'type')!,
        timestamp: n(Item, 'timestamp')!,
        ...(pipelineId === undefined ? {} : { pipelineId }),
        dataJson: s(Item, 'data') ?? 'null',
        expiresAt,
      };
      return event;
    },
  };
}

// ---------------------------------------------------------------- deliveries

export function deliveryToItem(record: DeliveryRecord): Item {
  return {
    ...deliveryKey(record.subscriptionId, record.id),
    id: { S: record.id },
    subscriptionId: { S: record.subscriptionId },
    eventId: { S: record.eventId },
    eventType: { S: record.eventType },
    webhookId: { S: record.webhookId },
    address: { S: record.address },
    status: { S: record.status },
    createdAt: { S: record.createdAt },
    updatedAt: { S: record.updatedAt },
    ...optS('nextAttemptAt', record.nextAttemptAt),
    attempts: { S: JSON.stringify(record.attempts) },
    attemptCount: { N: String(record.attemptCount) },
    ...optN('windowStartAt', record.windowStartAt),
    windowAttempts: { N: String(record.windowAttempts) },
    expiresAt: { N: String(record.expiresAt) },
  };
}

export function itemToDelivery(item: Item): DeliveryRecord {
  const nextAttemptAt = s(item, 'nextAttemptAt');
  const windowStartAt = n(item, 'windowStartAt');
  return {
    id: s(item, 'id')!,
    subscriptionId: s(item, 'subscriptionId')!,
    eventId: s(item, 'eventId')!,
    eventType: s(item, 'eventType') ?? '',
    webhookId: s(item, 'webhookId')!,
    address: s(item, 'address') ?? '',
    status: (s(item, 'status') ?? 'pending') as DeliveryStatus,
    createdAt: s(item, 'createdAt') ?? '',
    updatedAt: s(item, 'updatedAt') ?? '',
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    attempts: JSON.parse(s(item, 'attempts') ?? '[]') as AttemptEntry[],
    attemptCount: n(item, 'attemptCount') ?? 0,
    ...(windowStartAt === undefined ? {} : { windowStartAt }),
    windowAttempts: n(item, 'windowAttempts') ?? 0,
    expiresAt: n(item, 'expiresAt') ?? 0,
  };
}

const live = (item: Item, now: number) => (n(item, 'expiresAt') ?? 0) * 1000 > now;

export function dynamoDeliveryStore(client: DynamoDBClient, tableName: string): DeliveryStore {
  return {
    async create(record) {
      try {
        await client.send(
          new PutItemCommand({ TableName: tableName, Item: deliveryToItem(record), ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async get(subscriptionId, deliveryId) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: deliveryKey(subscriptionId, deliveryId), ConsistentRead: true }),
      );
      return Item === undefined || !live(Item, Date.now()) ? undefined : itemToDelivery(Item);
    },
    async getMany(keys) {
      const items = await batchGet(
        client,
        tableName,
        keys.map((k) => deliveryKey(k.subscriptionId, k.deliveryId)),
      );
      const now = Date.now();
      return items.filter((item) => live(item, now)).map(itemToDelivery);
    },
    async replace(record, expectedAttemptCount) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: deliveryToItem(record),
            ConditionExpression: 'attemptCount = :expected',
            ExpressionAttributeValues: { ':expected': { N: String(expectedAttemptCount) } },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
    async list(subscriptionId, query) {
      const values: Item = {
        ':pk': { S: deliveryPk(subscriptionId) },
        ':from': { S: query.fromId ?? 'dlv_' },
        ':to': { S: query.toId ?? 'dlv_~' },
        ':now': { N: String(Math.floor(query.now / 1000)) },
      };
      const filters = ['expiresAt > :now'];
      const names: Record<string, string> = {};
      if (query.status !== undefined) {
        filters.push('#status = :status');
        names['#status'] = 'status';
        values[':status'] = { S: query.status };
      }
      const out: DeliveryRecord[] = [];
      // DynamoDB refuses an ExclusiveStartKey outside the key condition's range: a start beyond the
      // near end starts at it, one at or beyond the far end leaves nothing.
      const from = values[':from']!.S!;
      const to = values[':to']!.S!;
      const after = query.afterId;
      if (after !== undefined && (query.descending ? after <= from : after >= to)) return out;
      const startsInside = after !== undefined && (query.descending ? after <= to : after >= from);
      let start: Item | undefined = startsInside ? deliveryKey(subscriptionId, after) : undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            FilterExpression: filters.join(' AND '),
            ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: values,
            ScanIndexForward: !query.descending,
            Limit: Math.min(1000, Math.max(query.limit, 25)),
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
        for (const item of page.Items ?? []) {
          if (out.length < query.limit) out.push(itemToDelivery(item));
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined && out.length < query.limit);
      return out;
    },
  };
}

// ---------------------------------------------------------------- suspension

export function dynamoSuspensionStore(client: DynamoDBClient, tableName: string): SuspensionStore {
  return {
    async get(address) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: suspensionKey(address), ConsistentRead: true }),
      );
      if (Item === undefined) return emptySuspensionState();
      const suspendedUntil = n(Item, 'suspendedUntil');
      return {
        recentInvalids: JSON.parse(s(Item, 'recentInvalids') ?? '[]') as number[],
        ...(suspendedUntil === undefined ? {} : { suspendedUntil }),
        version: n(Item, 'version') ?? 0,
      };
    },
    async put(address, state, expectedVersion) {
      const expires = stateExpiresAt(state);
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...suspensionKey(address),
              recentInvalids: { S: JSON.stringify(state.recentInvalids) },
              ...optN('suspendedUntil', state.suspendedUntil),
              version: { N: String(state.version) },
              // TTL is real time; a day past the state's relevance covers a local time scale too.
              ...optN('expiresAt', expires === undefined ? undefined : Math.ceil(expires / 1000) + 86_400),
            },
            ...(expectedVersion === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'version = :expected',
                  ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },
  };
}

// ---------------------------------------------------------------- helpers

async function queryAll(client: DynamoDBClient, input: ConstructorParameters<typeof QueryCommand>[0]): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

async function batchGet(client: DynamoDBClient, tableName: string, keys: Item[]): Promise<Item[]> {
  const items: Item[] = [];
  for (let offset = 0; offset < keys.length; offset += 100) {
    let request: Record<string, KeysAndAttributes> | undefined = {
      [tableName]: { Keys: keys.slice(offset, offset + 100), ConsistentRead: true },
    };
    for (let round = 0; request !== undefined && Object.keys(request).length > 0; round++) {
      if (round > 8) throw new Error('BatchGetItem left keys unprocessed after 8 retries');
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
      const response: { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, KeysAndAttributes> } =
        await client.send(new BatchGetItemCommand({ RequestItems: request }));
      items.push(...(response.Responses?.[tableName] ?? []));
      request = response.UnprocessedKeys;
    }
  }
  return items;
}
