// DynamoDB side of the processor: token/pipeline lookups (rejection items: rejection-store.ts).
import { BatchGetItemCommand, type DynamoDBClient, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import type { CredentialDirectory } from '../../ports/ingest.ts';
import { itemToPipeline, itemToToken, pipelineKey, tokenKey, type Item, type Key } from './table-items.ts';

const BATCH_GET_LIMIT = 100;

/** BatchGetItem for all keys at once (chunks of 100), following UnprocessedKeys until done. */
export function dynamoCredentialDirectory(client: DynamoDBClient, tableName: string): CredentialDirectory {
  return {
    async lookup(keys, pipelineIds) {
      // BatchGetItem refuses duplicate keys; a batch often repeats both.
      const wanted: Key[] = [...[...new Set(keys)].map(tokenKey), ...[...new Set(pipelineIds)].map(pipelineKey)];
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
