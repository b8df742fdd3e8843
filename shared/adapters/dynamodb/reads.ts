// Reads of the single table that take more than one call: a page of a Query (reading one item
// more than asked, so the last page is known as such: no empty page at the end), every page of a
// Query, and BatchGetItem in chunks of 100 following UnprocessedKeys with a bounded backoff.
// A Query stops at 1 MB, so even one page may take more than one call.
import { BatchGetItemCommand, QueryCommand, type DynamoDBClient, type KeysAndAttributes, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { Item } from './attributes.ts';

/** BatchGetItem's limit per request. */
const BATCH_GET_LIMIT = 100;
/** Rounds of UnprocessedKeys retried before giving up. */
const BATCH_GET_RETRIES = 8;

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

/** Every item of the Query (for collections bounded by design: subscriptions, syncs, a week of counters). */
export async function queryAllItems(client: DynamoDBClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The items of `keys` that exist (consistent reads), in no particular order. BatchGetItem refuses duplicate keys. */
export async function batchGetItems(client: DynamoDBClient, tableName: string, keys: readonly Item[]): Promise<Item[]> {
  const items: Item[] = [];
  for (let offset = 0; offset < keys.length; offset += BATCH_GET_LIMIT) {
    let request: Record<string, KeysAndAttributes> | undefined = {
      [tableName]: { Keys: keys.slice(offset, offset + BATCH_GET_LIMIT), ConsistentRead: true },
    };
    for (let round = 0; request !== undefined && Object.keys(request).length > 0; round++) {
      if (round > BATCH_GET_RETRIES) throw new Error(`BatchGetItem left keys unprocessed after ${BATCH_GET_RETRIES} retries`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
      const response: { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, KeysAndAttributes> } =
        await client.send(new BatchGetItemCommand({ RequestItems: request }));
      items.push(...(response.Responses?.[tableName] ?? []));
      request = response.UnprocessedKeys;
    }
  }
  return items;
}
