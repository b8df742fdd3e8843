// A pipeline's inferred schema (shared/domain/lake/schema.ts): one item per pipeline, `SCHEMA` /
// `<pipeline id, zero-padded>`, the schema as JSON text (bounded: MAX_COLUMNS columns of bounded
// names, paths and examples, well under DynamoDB's 400 KB), written conditionally on `revision`;
// `version` and `refreshedAt` beside it for the schedule's listing.
import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PipelineSchema } from '../../domain/lake/schema.ts';
import type { SchemaStore, StoredSchema } from '../../ports/schema.ts';
import { conditional, key, num, str, type Item, type Key } from './attributes.ts';
import { queryAllItems } from './reads.ts';

export const SCHEMA_PK = 'SCHEMA';
export const schemaKey = (pipelineId: number): Key => key(SCHEMA_PK, String(pipelineId).padStart(12, '0'));

function itemToStored(item: Item): StoredSchema | undefined {
  const text = str(item, 'schema');
  if (text === undefined) return undefined;
  return {
    schema: JSON.parse(text) as PipelineSchema,
    revision: num(item, 'revision') ?? 0,
    published: { version: num(item, 'publishedVersion') ?? 0, generation: num(item, 'publishedGeneration') ?? 0 },
  };
}

export function dynamoSchemaStore(client: DynamoDBClient, tableName: string): SchemaStore {
  return {
    async get(pipelineId) {
      const { Item: item } = await client.send(new GetItemCommand({ TableName: tableName, Key: schemaKey(pipelineId), ConsistentRead: true }));
      return item === undefined ? undefined : itemToStored(item);
    },
    async list() {
      // Only the summary attributes: a run lists every pipeline's, whatever their schemas hold.
      const items = await queryAllItems(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: SCHEMA_PK } },
        // Names, not words: DynamoDB reserves hundreds of words.
        ProjectionExpression: '#pipelineId, #version, #refreshedAt',
        ExpressionAttributeNames: { '#pipelineId': 'pipelineId', '#version': 'version', '#refreshedAt': 'refreshedAt' },
      });
      return items.map((item) => ({ pipelineId: num(item, 'pipelineId') ?? 0, version: num(item, 'version') ?? 0, refreshedAt: str(item, 'refreshedAt') ?? null }));
    },
    async put(schema, expectedRevision, published) {
      return conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...schemaKey(schema.pipelineId),
              pipelineId: { N: String(schema.pipelineId) },
              schema: { S: JSON.stringify(schema) },
              version: { N: String(schema.version) },
              ...(schema.refreshedAt === null ? {} : { refreshedAt: { S: schema.refreshedAt } }),
              revision: { N: String(expectedRevision + 1) },
              publishedVersion: { N: String(published.version) },
              publishedGeneration: { N: String(published.generation) },
            },
            ...(expectedRevision === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#revision = :revision',
                  ExpressionAttributeNames: { '#revision': 'revision' },
                  ExpressionAttributeValues: { ':revision': { N: String(expectedRevision) } },
                }),
          }),
        ),
      );
    },
    async markPublished(pipelineId, { version, generation }) {
      await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: schemaKey(pipelineId),
            UpdateExpression: 'SET publishedVersion = :version, publishedGeneration = :generation',
            ConditionExpression: 'attribute_exists(pk) AND #version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': { N: String(version) }, ':generation': { N: String(generation) } },
          }),
        ),
      );
    },
  };
}
