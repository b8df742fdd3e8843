// DynamoDB side of the delivery engine, in the single table (docs/design.md, "Outbound items"):
//
//   event          pk EVENT#<event id>        sk EVENT
//   delivery       pk DELIVERY#<dest. id>     sk <delivery id>  (ids sort by event time)
//   suspension     pk ADDRESS#<address>       sk SUSPENSION     (address: SHA-256 of the destination URL)
//
// A delivery's destination (a subscription's or a sync's id) is stored as `subscriptionId`, the
// attribute's name since before syncs: mapped here, so the code says `destinationId`.
// Subscriptions: subscription-store.ts. dynalite has no TTL: every read drops items whose
// `expiresAt` (epoch seconds) has passed.
import { GetItemCommand, PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttemptEntry, DeliveryRecord, DeliveryStatus } from '../../domain/delivery/log.ts';
import { emptySuspensionState, stateExpiresAt } from '../../domain/delivery/suspension.ts';
import type { DeliveryStore, EventStore, StoredEvent, SuspensionStore } from '../../ports/delivery.ts';
import { conditional, key, num, optN, optS, str, type Item } from './attributes.ts';
import { batchGetItems } from './reads.ts';

export const eventKey = (id: string) => key(`EVENT#${id}`, 'EVENT');
export const deliveryPk = (destinationId: string) => `DELIVERY#${destinationId}`;
export const deliveryKey = (destinationId: string, deliveryId: string) => key(deliveryPk(destinationId), deliveryId);
export const suspensionKey = (address: string) => key(`ADDRESS#${address}`, 'SUSPENSION');

const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------- events

/** An event's item (the fan-out's, and a sync's row-ops: sync-store.ts writes them in batches). */
export function eventToItem(event: StoredEvent): Item {
  return {
    ...eventKey(event.id),
    id: { S: event.id },
    type: { S: event.type },
    timestamp: { N: String(event.timestamp) },
    ...optN('pipelineId', event.pipelineId),
    data: { S: event.dataJson }, // the JSON text as it arrived, never re-serialised
    expiresAt: { N: String(event.expiresAt) },
  };
}

export function dynamoEventStore(client: DynamoDBClient, tableName: string): EventStore {
  return {
    async put(event) {
      return conditional(() =>
        client.send(new PutItemCommand({ TableName: tableName, Item: eventToItem(event), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },
    async get(id) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: eventKey(id) }));
      if (Item === undefined) return undefined;
      const expiresAt = num(Item, 'expiresAt') ?? 0;
      if (expiresAt <= nowSeconds()) return undefined;
      const pipelineId = num(Item, 'pipelineId');
      const event: StoredEvent = {
        id: str(Item, 'id')!,
        type: str(Item, 'type')!,
        timestamp: num(Item, 'timestamp')!,
        ...(pipelineId === undefined ? {} : { pipelineId }),
        dataJson: str(Item, 'data') ?? 'null',
        expiresAt,
      };
      return event;
    },
  };
}

// ---------------------------------------------------------------- deliveries

export function deliveryToItem(record: DeliveryRecord): Item {
  return {
    ...deliveryKey(record.destinationId, record.id),
    id: { S: record.id },
    subscriptionId: { S: record.destinationId },
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
  const nextAttemptAt = str(item, 'nextAttemptAt');
  const windowStartAt = num(item, 'windowStartAt');
  return {
    id: str(item, 'id')!,
    destinationId: str(item, 'subscriptionId')!,
    eventId: str(item, 'eventId')!,
    eventType: str(item, 'eventType') ?? '',
    webhookId: str(item, 'webhookId')!,
    address: str(item, 'address') ?? '',
    status: (str(item, 'status') ?? 'pending') as DeliveryStatus,
    createdAt: str(item, 'createdAt') ?? '',
    updatedAt: str(item, 'updatedAt') ?? '',
    ...(nextAttemptAt === undefined ? {} : { nextAttemptAt }),
    attempts: JSON.parse(str(item, 'attempts') ?? '[]') as AttemptEntry[],
    attemptCount: num(item, 'attemptCount') ?? 0,
    ...(windowStartAt === undefined ? {} : { windowStartAt }),
    windowAttempts: num(item, 'windowAttempts') ?? 0,
    expiresAt: num(item, 'expiresAt') ?? 0,
  };
}

const live = (item: Item, now: number) => (num(item, 'expiresAt') ?? 0) * 1000 > now;

export function dynamoDeliveryStore(client: DynamoDBClient, tableName: string): DeliveryStore {
  return {
    async create(record) {
      return conditional(() =>
        client.send(new PutItemCommand({ TableName: tableName, Item: deliveryToItem(record), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },
    async get(destinationId, deliveryId) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: deliveryKey(destinationId, deliveryId), ConsistentRead: true }),
      );
      return Item === undefined || !live(Item, Date.now()) ? undefined : itemToDelivery(Item);
    },
    async getMany(keys) {
      const items = await batchGetItems(
        client,
        tableName,
        keys.map((k) => deliveryKey(k.destinationId, k.deliveryId)),
      );
      const now = Date.now();
      return items.filter((item) => live(item, now)).map(itemToDelivery);
    },
    async replace(record, expectedAttemptCount) {
      return conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: deliveryToItem(record),
            ConditionExpression: 'attemptCount = :expected',
            ExpressionAttributeValues: { ':expected': { N: String(expectedAttemptCount) } },
          }),
        ),
      );
    },
    async list(destinationId, query) {
      const values: Item = {
        ':pk': { S: deliveryPk(destinationId) },
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
      let start: Item | undefined = startsInside ? deliveryKey(destinationId, after) : undefined;
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
      const suspendedUntil = num(Item, 'suspendedUntil');
      return {
        recentInvalids: JSON.parse(str(Item, 'recentInvalids') ?? '[]') as number[],
        ...(suspendedUntil === undefined ? {} : { suspendedUntil }),
        version: num(Item, 'version') ?? 0,
      };
    },
    async put(address, state, expectedVersion) {
      const expires = stateExpiresAt(state);
      return conditional(() =>
        client.send(
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
        ),
      );
    },
  };
}
