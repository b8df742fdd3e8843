// DynamoDB side of subscriptions, in the single table (docs/design.md, "Outbound items"):
//
//   subscription   pk SUB   sk <subscription id>
//
// Deliveries, events and suspensions of every destination: delivery-store.ts.
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoredSubscription, SubscriptionStore } from '../../ports/subscriptions.ts';
import { pageOf } from '../../ports/page.ts';
import { conditional, isConditionFailure, key, num, optN, optS, str, type Item } from './attributes.ts';
import { queryAllItems, queryPageItems } from './reads.ts';

export const SUBSCRIPTION_PK = 'SUB';
export const subscriptionKey = (id: string) => key(SUBSCRIPTION_PK, id);

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
  const pipelineId = num(item, 'pipelineId');
  const description = str(item, 'description');
  const headersCiphertext = str(item, 'headersCiphertext');
  // Items written before header values were encrypted keep them in plaintext `headers` (JSON).
  const legacy = str(item, 'headers');
  const plaintextHeaders = headersCiphertext === undefined && legacy !== undefined ? (JSON.parse(legacy) as Record<string, string>) : undefined;
  const headerNames = item.headerNames?.L?.map((value) => value.S ?? '') ?? Object.keys(plaintextHeaders ?? {});
  return {
    id: str(item, 'id')!,
    webhookUrl: str(item, 'webhookUrl')!,
    webhookHttpMethod: str(item, 'webhookHttpMethod') === 'GET' ? 'GET' : 'POST',
    events: (item.events?.L ?? []).map((value) => value.S ?? ''),
    ...(pipelineId === undefined ? {} : { pipelineId }),
    ...(description === undefined ? {} : { description }),
    headerNames,
    ...(headersCiphertext === undefined ? {} : { headersCiphertext }),
    ...(plaintextHeaders === undefined || Object.keys(plaintextHeaders).length === 0 ? {} : { plaintextHeaders }),
    format: str(item, 'format') === 'form' ? 'form' : 'json',
    enabled: item.enabled?.BOOL ?? true,
    createdAt: str(item, 'createdAt') ?? '',
    updatedAt: str(item, 'updatedAt') ?? '',
    secretCiphertext: str(item, 'secretCiphertext') ?? '',
    version: num(item, 'version') ?? 0,
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
