// DynamoDB side of the processor: token/pipeline lookups and rejection counters.
import { BatchGetItemCommand, UpdateItemCommand, type DynamoDBClient, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import type { CredentialDirectory, RejectionCounter } from '../ports/ingest.ts';
import { itemToPipeline, itemToToken, pipelineKey, rejectionCountsKey, tokenKey, type Item, type Key } from './table-items.ts';

const BATCH_GET_LIMIT = 100;

/** BatchGetItem for all keys at once (chunks of 100), following UnprocessedKeys until done. */
export function dynamoCredentialDirectory(client: DynamoDBClient, tableName: string): CredentialDirectory {
  return {
    async lookup(keys, pipelineIds) {
      const wanted: Key[] = [...keys.map(tokenKey), ...pipelineIds.map(pipelineKey)];
      const items: Item[] = [];
      for (let start = 0; start < wanted.length; start += BATCH_GET_LIMIT) {
        let request: Record<string, KeysAndAttributes> | undefined = {
          [tableName]: { Keys: wanted.slice(start, start + BATCH_GET_LIMIT), ConsistentRead: true },
        };
        for (let round = 0; request !== undefined && Object.keys(request).length > 0; round++) {
          if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
          if (round > 8) throw new Error('BatchGetItem left keys unprocessed after 8 retries');
          const response: { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, KeysAndAttributes> } =
            await client.send(new BatchGetItemCommand({ RequestItems: request }));
          items.push(...(response.Responses?.[tableName] ?? []));
          request = response.UnprocessedKeys;
        }
      }
      const result = { tokens: new Map(), pipelines: new Map() } as Awaited<ReturnType<CredentialDirectory['lookup']>>;
      for (const item of items) {
        if (item.pk?.S === 'TOKEN') {
          const token = itemToToken(item);
          result.tokens.set(token.key, token);
        } else if (item.pk?.S === 'PIPELINE') {
          const pipeline = itemToPipeline(item);
          result.pipelines.set(pipeline.id, pipeline);
        }
      }
      return result;
    },
  };
}

export function dynamoRejectionCounter(client: DynamoDBClient, tableName: string): RejectionCounter {
  return {
    async add(pipelineId, dt, counts) {
      const entries = Object.entries(counts).filter(([, count]) => count !== undefined && count > 0);
      if (entries.length === 0) return;
      const total = entries.reduce((sum, [, count]) => sum + count!, 0);
      const names: Record<string, string> = { '#total': 'total' };
      const values: Record<string, { N: string }> = { ':total': { N: String(total) } };
      const clauses = ['#total :total'];
      entries.forEach(([reason, count], index) => {
        names[`#r${index}`] = reason;
        values[`:r${index}`] = { N: String(count) };
        clauses.push(`#r${index} :r${index}`);
      });
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rejectionCountsKey(pipelineId, dt),
          UpdateExpression: `ADD ${clauses.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    },
  };
}
