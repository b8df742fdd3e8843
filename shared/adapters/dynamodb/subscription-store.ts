// DynamoDB side of subscriptions, in the single table (docs/design.md, "Outbound items"):
//
//   subscription   pk SUB   sk <subscription id>
//
// Deliveries, events and suspensions of every destination: delivery-store.ts.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoredSubscription, SubscriptionStore } from '../../ports/subscriptions.ts';
import { pageOf } from '../../ports/page.ts';
import { destinationAttributes, itemToDestinationFields } from './destination-items.ts';
import { conditional, isConditionFailure, key, num, optN, optS, str, type Item } from './attributes.ts';
import { queryAllItems, queryPageItems } from './reads.ts';

export const SUBSCRIPTION_PK = 'SUB';
export const subscriptionKey = (id: string) => key(SUBSCRIPTION_PK, id);

export function subscriptionToItem(subscription: StoredSubscription): Item {
  return {
    ...subscriptionKey(subscription.id),
    id: { S: subscription.id },
    ...destinationAttributes(subscription),
    events: { L: subscription.events.map((event) => ({ S: event })) },
    ...optN('pipelineId', subscription.pipelineId),
    ...optS('description', subscription.description),
  };
}

export function itemToSubscription(item: Item): StoredSubscription {
  const pipelineId = num(item, 'pipelineId');
  const description = str(item, 'description');
  const destination = itemToDestinationFields(item);
  // Items written before header values were encrypted keep them in plaintext `headers` (JSON),
  // and may have no `headerNames`: the names are then the plaintext headers' keys.
  const legacy = str(item, 'headers');
  const plaintextHeaders = destination.headersCiphertext === undefined && legacy !== undefined ? (JSON.parse(legacy) as Record<string, string>) : undefined;
  return {
    id: str(item, 'id')!,
    ...destination,
    ...(item.headerNames === undefined ? { headerNames: Object.keys(plaintextHeaders ?? {}) } : {}),
    events: (item.events?.L ?? []).map((value) => value.S ?? ''),
    ...(pipelineId === undefined ? {} : { pipelineId }),
    ...(description === undefined ? {} : { description }),
    ...(plaintextHeaders === undefined || Object.keys(plaintextHeaders).length === 0 ? {} : { plaintextHeaders }),
  };
}

export function dynamoSubscriptionStore(client: DynamoDBClient, tableName: string): SubscriptionStore {
  return {
    async put(subscription, options = {}) {
      return conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: subscriptionToItem(subscription),
            ...(options.ifAbsent === true ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
          }),
        ),
      );
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
      const items = await queryAllItems(client, {
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
