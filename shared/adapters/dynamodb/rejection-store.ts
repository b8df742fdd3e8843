// DynamoDB side of rejected requests (docs/design.md): the processor's daily counters and summary
// windows, and the fan-out's read of a window. Every item here has a `REJECTED#` partition key:
// the processor writes nothing else, which its IAM policy enforces (dynamodb:LeadingKeys).
import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { REJECTION_REASONS } from '../../domain/ingest/records.ts';
import {
  dailyCountsExpiresAt,
  summaryExpiresAt,
  SUMMARY_SAMPLE_LIMIT,
  type RejectionCountsByReason,
} from '../../domain/ingest/rejections.ts';
import type { RejectionCounter, RejectionSummaryReader } from '../../ports/ingest.ts';
import { conditional, num } from './attributes.ts';
import { landedCountsKey, rejectionCountsKey, rejectionSummaryKey } from './table-items.ts';

/** `ADD total :total, #r0 :r0, …` parts for the reasons with a count. */
function addCounts(counts: RejectionCountsByReason): {
  clauses: string[];
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
} | undefined {
  const entries = Object.entries(counts).filter(([, count]) => count !== undefined && count > 0) as [string, number][];
  if (entries.length === 0) return undefined;
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  const names: Record<string, string> = { '#total': 'total' };
  const values: Record<string, AttributeValue> = { ':total': { N: String(total) } };
  const clauses = ['#total :total'];
  entries.forEach(([reason, count], index) => {
    names[`#r${index}`] = reason;
    values[`:r${index}`] = { N: String(count) };
    clauses.push(`#r${index} :r${index}`);
  });
  return { clauses, names, values };
}

export function dynamoRejectionCounter(client: DynamoDBClient, tableName: string, now: () => number = Date.now): RejectionCounter {
  return {
    async addDaily(bucket, dt, counts) {
      const add = addCounts(counts);
      if (add === undefined) return;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rejectionCountsKey(bucket, dt),
          UpdateExpression: `ADD ${add.clauses.join(', ')} SET #expiresAt = :expiresAt`,
          ExpressionAttributeNames: { ...add.names, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ...add.values, ':expiresAt': { N: String(dailyCountsExpiresAt(dt)) } },
        }),
      );
    },

    async addLanded(pipelineId, dt, rows) {
      if (rows <= 0) return;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: landedCountsKey(pipelineId, dt),
          UpdateExpression: 'ADD #landed :rows SET #expiresAt = :expiresAt',
          ExpressionAttributeNames: { '#landed': 'landed', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':rows': { N: String(rows) }, ':expiresAt': { N: String(dailyCountsExpiresAt(dt)) } },
        }),
      );
    },

    async claimSummary(pipelineId, window) {
      return conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: rejectionSummaryKey(pipelineId, window.start),
            UpdateExpression: 'SET #claimedAt = :now, #windowStart = :start, #windowEnd = :end, #expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(#claimedAt)',
            ExpressionAttributeNames: { '#claimedAt': 'claimedAt', '#windowStart': 'windowStart', '#windowEnd': 'windowEnd', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: {
              ':now': { N: String(Math.floor(now())) },
              ':start': { S: window.start },
              ':end': { S: window.end },
              ':expiresAt': { N: String(summaryExpiresAt(window)) },
            },
          }),
        ),
      );
    },

    async releaseSummary(pipelineId, window) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rejectionSummaryKey(pipelineId, window.start),
          UpdateExpression: 'REMOVE #claimedAt',
          ExpressionAttributeNames: { '#claimedAt': 'claimedAt' },
        }),
      );
    },

    async addToSummary(pipelineId, window, counts, sampleRequestIds) {
      const add = addCounts(counts);
      if (add === undefined) return;
      const samples = sampleRequestIds.slice(0, SUMMARY_SAMPLE_LIMIT).map((id) => ({ S: id }));
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: rejectionSummaryKey(pipelineId, window.start),
          UpdateExpression:
            `ADD ${add.clauses.join(', ')} ` +
            'SET #samples = if_not_exists(#samples, :samples), #windowStart = :start, #windowEnd = :end, #expiresAt = :expiresAt',
          ExpressionAttributeNames: {
            ...add.names,
            '#samples': 'sampleRequestIds',
            '#windowStart': 'windowStart',
            '#windowEnd': 'windowEnd',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ...add.values,
            ':samples': { L: samples },
            ':start': { S: window.start },
            ':end': { S: window.end },
            ':expiresAt': { N: String(summaryExpiresAt(window)) },
          },
        }),
      );
    },
  };
}

export function dynamoRejectionSummaryReader(client: DynamoDBClient, tableName: string, now: () => number = Date.now): RejectionSummaryReader {
  return {
    async getSummary(pipelineId, windowStart) {
      const { Item: item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: rejectionSummaryKey(pipelineId, windowStart), ConsistentRead: true }),
      );
      if (item === undefined) return undefined;
      const expiresAt = num(item, 'expiresAt');
      if (expiresAt !== undefined && expiresAt * 1000 <= now()) return undefined;
      const byReason: RejectionCountsByReason = {};
      for (const reason of REJECTION_REASONS) {
        const count = num(item, reason);
        if (count !== undefined) byReason[reason] = count;
      }
      return {
        pipelineId,
        windowStart,
        windowEnd: item.windowEnd?.S ?? windowStart,
        total: num(item, 'total') ?? 0,
        byReason,
        sampleRequestIds: (item.sampleRequestIds?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S])),
      };
    },
  };
}
