// DynamoDB side of the processor: token/pipeline lookups (rejection items: rejection-store.ts).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CredentialDirectory } from '../../ports/ingest.ts';
import { batchGetItems } from './reads.ts';
import { itemToPipeline, itemToToken, pipelineKey, tokenKey, type Key } from './table-items.ts';

/** One BatchGetItem round for all keys at once (chunks of 100, reads.ts). */
export function dynamoCredentialDirectory(client: DynamoDBClient, tableName: string): CredentialDirectory {
  return {
    async lookup(keys, pipelineIds) {
      // BatchGetItem refuses duplicate keys; a batch often repeats both.
      const wanted: Key[] = [...[...new Set(keys)].map(tokenKey), ...[...new Set(pipelineIds)].map(pipelineKey)];
      const items = await batchGetItems(client, tableName, wanted);
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
