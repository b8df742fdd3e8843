// A page of a DynamoDB Query: Limit and ExclusiveStartKey, reading one item more than asked so the
// last page is known as such (no empty page at the end). A Query stops at 1 MB, so it may take
// more than one call to fill a page.
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/** Up to `limit + 1` items of the Query from `exclusiveStartKey` on (pageOf in ports/page.ts cuts it to a page). */
export async function queryPageItems(
  client: DynamoDBClient,
  input: Omit<QueryCommandInput, 'Limit' | 'ExclusiveStartKey'>,
  limit: number,
  exclusiveStartKey: Item | undefined,
): Promise<Item[]> {
  const items: Item[] = [];
  let start = exclusiveStartKey;
  do {
    const page = await client.send(
      new QueryCommand({ ...input, Limit: limit + 1 - items.length, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && items.length <= limit);
  return items.slice(0, limit + 1);
}
