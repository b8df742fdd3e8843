// Reads the processor's rows-landed counters (table-items.ts, LANDED#<day> in REJECTED#<pipeline>).
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LandedCountReader } from '../../ports/inspector.ts';
import { LANDED_SK_PREFIX, rejectionCountsPk } from './table-items.ts';

export function dynamoLandedCounts(client: DynamoDBClient, tableName: string): LandedCountReader {
  return {
    async landedCounts(pipelineId, sinceDt) {
      const counts: { dt: string; landed: number }[] = [];
      const nowSeconds = Date.now() / 1000;
      let startKey: Record<string, AttributeValue> | undefined;
      // At most one item per day of the range: a week is one page.
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': { S: rejectionCountsPk(pipelineId) },
              ':from': { S: `${LANDED_SK_PREFIX}${sinceDt}` },
              ':to': { S: `${LANDED_SK_PREFIX}9999-12-31` },
            },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          // dynalite has no TTL: expired counters are left out here.
          if (item.expiresAt?.N !== undefined && Number(item.expiresAt.N) <= nowSeconds) continue;
          counts.push({ dt: item.sk!.S!.slice(LANDED_SK_PREFIX.length), landed: Number(item.landed?.N ?? 0) });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return counts;
    },
  };
}
