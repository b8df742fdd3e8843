// DynamoDB side of syncs, in the single table (docs/design.md, "Syncs"):
//
//   sync      pk SYNC              sk <sync id>   definition, encrypted secret and headers, schedule,
//                                                 run claim (activeRunId), version
//   run       pk SYNC#<sync id>    sk <run id>    status, counts, checkpoint (run ids sort by start)
//
// A sync's row-ops are ordinary delivery engine items: `EVENT#evt_sync_…` events and
// `DELIVERY#<sync id>` deliveries (delivery-store.ts), written here in BatchWriteItem calls of 25.
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { forEachBounded } from '../../domain/concurrency.ts';
import type { FieldMapping, SyncMode } from '../../domain/syncs/definition.ts';
import { emptyFailedRows, emptyOpCounts, type FailedRowCounts, type OpCounts, type SyncRunStatus, type SyncTrigger } from '../../domain/syncs/runs.ts';
import type { SyncSchedule } from '../../domain/syncs/schedule.ts';
import type { RowOpWriter, StoredRun, StoredSync, SyncStore } from '../../ports/syncs.ts';
import { pageOf } from '../../ports/page.ts';
import { conditional, json, key, num, optN, optS, str, type Item } from './attributes.ts';
import { deliveryToItem, eventToItem } from './delivery-store.ts';
import { destinationAttributes, itemToDestinationFields } from './destination-items.ts';
import { queryAllItems, queryPageItems } from './reads.ts';

export const SYNC_PK = 'SYNC';
export const runPk = (syncId: string) => `SYNC#${syncId}`;
export const syncKey = (id: string) => key(SYNC_PK, id);
export const runKey = (syncId: string, runId: string) => key(runPk(syncId), runId);


// ---------------------------------------------------------------- syncs

/** The definition and destination; never the run claim (claimRun/releaseRun own it). */
function syncDefinitionItem(sync: StoredSync): Item {
  return {
    ...syncKey(sync.id),
    id: { S: sync.id },
    name: { S: sync.name },
    sql: { S: sync.sql },
    primaryKey: { S: sync.primaryKey },
    mode: { S: sync.mode },
    mapping: { S: JSON.stringify(sync.mapping) },
    ...destinationAttributes(sync),
    schedule: { S: JSON.stringify(sync.schedule) },
    ...optN('pipelineId', sync.pipelineId),
    scheduleAnchorMs: { N: String(sync.scheduleAnchorMs) },
  };
}

export function itemToSync(item: Item): StoredSync {
  const activeRunId = str(item, 'activeRunId');
  return {
    id: str(item, 'id')!,
    name: str(item, 'name') ?? '',
    sql: str(item, 'sql') ?? '',
    primaryKey: str(item, 'primaryKey') ?? '',
    mode: (str(item, 'mode') ?? 'upsert') as SyncMode,
    mapping: json<FieldMapping[]>(str(item, 'mapping'), []),
    ...itemToDestinationFields(item),
    schedule: json<SyncSchedule>(str(item, 'schedule'), { kind: 'manual' }),
    ...optNum('pipelineId', num(item, 'pipelineId')),
    scheduleAnchorMs: num(item, 'scheduleAnchorMs') ?? 0,
    ...(activeRunId === undefined ? {} : { activeRunId, activeRunAtMs: num(item, 'activeRunAtMs') }),
    ...optNum('nextRunAtMs', num(item, 'nextRunAtMs')),
    ...optNum('lastRunStartMs', num(item, 'lastRunStartMs')),
  };
}

const optNum = <K extends string>(name: K, value: number | undefined) => (value === undefined ? {} : ({ [name]: value } as Record<K, number>));

// ---------------------------------------------------------------- runs

function runToItem(run: StoredRun): Item {
  return {
    ...runKey(run.syncId, run.id),
    id: { S: run.id },
    syncId: { S: run.syncId },
    status: { S: run.status },
    trigger: { S: run.trigger },
    startedAt: { S: run.startedAt },
    startedAtMs: { N: String(run.startedAtMs) },
    ...optS('enqueuedAt', run.enqueuedAt),
    ...optS('finishedAt', run.finishedAt),
    ...optS('error', run.error),
    rows: { N: String(run.rows) },
    counts: { S: JSON.stringify(run.counts) },
    failedRows: { S: JSON.stringify(run.failedRows) },
    delivered: { N: String(run.delivered) },
    failed: { N: String(run.failed) },
    pending: { N: String(run.pending) },
    totalOps: { N: String(run.totalOps) },
    nextRowNum: { N: String(run.nextRowNum) },
    chunkStarted: { BOOL: run.chunkStarted },
    planned: { BOOL: run.planned },
    checks: { N: String(run.checks) },
    ...optS('settled', run.settled === undefined ? undefined : JSON.stringify(run.settled)),
    ...optS('trackedPending', run.trackedPending === undefined ? undefined : JSON.stringify(run.trackedPending)),
    ...optN('deadlineMs', run.deadlineMs),
    version: { N: String(run.version) },
    expiresAt: { N: String(run.expiresAt) },
  };
}

export function itemToRun(item: Item): StoredRun {
  const settled = str(item, 'settled');
  const tracked = str(item, 'trackedPending');
  return {
    id: str(item, 'id')!,
    syncId: str(item, 'syncId')!,
    status: (str(item, 'status') ?? 'running') as SyncRunStatus,
    trigger: (str(item, 'trigger') ?? 'manual') as SyncTrigger,
    startedAt: str(item, 'startedAt') ?? '',
    startedAtMs: num(item, 'startedAtMs') ?? 0,
    ...optStr('enqueuedAt', str(item, 'enqueuedAt')),
    ...optStr('finishedAt', str(item, 'finishedAt')),
    ...optStr('error', str(item, 'error')),
    rows: num(item, 'rows') ?? 0,
    counts: { ...emptyOpCounts(), ...json<Partial<OpCounts>>(str(item, 'counts'), {}) },
    failedRows: { ...emptyFailedRows(), ...json<Partial<FailedRowCounts>>(str(item, 'failedRows'), {}) },
    delivered: num(item, 'delivered') ?? 0,
    failed: num(item, 'failed') ?? 0,
    pending: num(item, 'pending') ?? 0,
    totalOps: num(item, 'totalOps') ?? 0,
    nextRowNum: num(item, 'nextRowNum') ?? 1,
    chunkStarted: item.chunkStarted?.BOOL ?? false,
    planned: item.planned?.BOOL ?? false,
    checks: num(item, 'checks') ?? 0,
    ...(settled === undefined ? {} : { settled: JSON.parse(settled) as StoredRun['settled'] }),
    ...(tracked === undefined ? {} : { trackedPending: JSON.parse(tracked) as string[] }),
    ...optNum('deadlineMs', num(item, 'deadlineMs')),
    version: num(item, 'version') ?? 0,
    expiresAt: num(item, 'expiresAt') ?? 0,
  };
}

const optStr = <K extends string>(name: K, value: string | undefined) => (value === undefined ? {} : ({ [name]: value } as Record<K, string>));

// ---------------------------------------------------------------- store

export function dynamoSyncStore(client: DynamoDBClient, tableName: string): SyncStore {
  return {
    async putSync(sync) {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...syncDefinitionItem(sync), ...optN('nextRunAtMs', sync.nextRunAtMs) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
    async getSync(id) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: syncKey(id), ConsistentRead: true }));
      return Item === undefined ? undefined : itemToSync(Item);
    },
    async listSyncs() {
      const items = await queryAllItems(client, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: SYNC_PK } } });
      return items.map(itemToSync);
    },
    async listSyncPage(page) {
      const items = await queryPageItems(
        client,
        { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: SYNC_PK } } },
        page.limit,
        page.after === undefined ? undefined : syncKey(page.after),
      );
      return pageOf(items.map(itemToSync), page.limit, (sync) => sync.id);
    },
    async replaceSync(sync, expectedVersion) {
      // UpdateItem of the definition's attributes (and the next fire time) only, so a run claim
      // taken by the engine meanwhile is never overwritten.
      const item = syncDefinitionItem(sync);
      const { pk: _pk, sk: _sk, ...attributes } = item;
      const names: Record<string, string> = {};
      const values: Item = { ':expected': { N: String(expectedVersion) } };
      const sets: string[] = [];
      for (const [index, [name, value]] of Object.entries(attributes).entries()) {
        names[`#a${index}`] = name;
        values[`:a${index}`] = value;
        sets.push(`#a${index} = :a${index}`);
      }
      const removals: string[] = [];
      if (sync.pipelineId === undefined) removals.push('pipelineId');
      if (sync.headersCiphertext === undefined) removals.push('headersCiphertext');
      if (sync.nextRunAtMs === undefined) removals.push('nextRunAtMs');
      else {
        names['#next'] = 'nextRunAtMs';
        values[':next'] = { N: String(sync.nextRunAtMs) };
        sets.push('#next = :next');
      }
      const replaced = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: syncKey(sync.id),
            UpdateExpression: `SET ${sets.join(', ')}${removals.length === 0 ? '' : ` REMOVE ${removals.join(', ')}`}`,
            ConditionExpression: 'attribute_exists(pk) AND version = :expected',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      if (replaced) return 'replaced';
      return (await this.getSync(sync.id)) === undefined ? 'missing' : 'conflict';
    },
    async deleteSync(id) {
      const { Attributes } = await client.send(new DeleteItemCommand({ TableName: tableName, Key: syncKey(id), ReturnValues: 'ALL_OLD' }));
      return Attributes !== undefined;
    },
    async claimRun(syncId, claim) {
      const claimed = await conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: syncKey(syncId),
            UpdateExpression: 'SET activeRunId = :run, activeRunAtMs = :at, lastRunStartMs = :start',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(activeRunId) OR activeRunAtMs < :stale)',
            ExpressionAttributeValues: {
              ':run': { S: claim.runId },
              ':at': { N: String(claim.atMs) },
              ':start': { N: String(claim.runStartMs) },
              ':stale': { N: String(claim.staleBeforeMs) },
            },
          }),
        ),
      );
      if (claimed) return 'claimed';
      return (await this.getSync(syncId)) === undefined ? 'missing' : 'busy';
    },
    async releaseRun(syncId, runId) {
      return conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: syncKey(syncId),
            UpdateExpression: 'REMOVE activeRunId, activeRunAtMs',
            ConditionExpression: 'activeRunId = :run',
            ExpressionAttributeValues: { ':run': { S: runId } },
          }),
        ),
      );
    },
    async advanceSchedule(syncId, expected, next) {
      return conditional(() =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: syncKey(syncId),
            UpdateExpression: next === undefined ? 'REMOVE nextRunAtMs' : 'SET nextRunAtMs = :next',
            ConditionExpression: 'nextRunAtMs = :expected',
            ExpressionAttributeValues: { ':expected': { N: String(expected) }, ...(next === undefined ? {} : { ':next': { N: String(next) } }) },
          }),
        ),
      );
    },
    async putRun(run, expectedVersion) {
      return conditional(() =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: runToItem(run),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } }),
          }),
        ),
      );
    },
    async getRun(syncId, runId) {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: runKey(syncId, runId), ConsistentRead: true }));
      return Item === undefined ? undefined : itemToRun(Item);
    },
    async listRuns(syncId, page) {
      const items = await queryPageItems(
        client,
        {
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: runPk(syncId) } },
          ScanIndexForward: false,
        },
        page.limit,
        page.after === undefined ? undefined : runKey(syncId, page.after),
      );
      return pageOf(items.map(itemToRun), page.limit, (run) => run.id);
    },
  };
}

// ---------------------------------------------------------------- row-op writes

/** BatchWriteItem takes 25 requests a call; unprocessed ones are retried with backoff. */
const BATCH_WRITE_SIZE = 25;
const BATCH_WRITE_CONCURRENCY = 8;

export function dynamoRowOpWriter(client: DynamoDBClient, tableName: string): RowOpWriter {
  async function writeBatch(requests: WriteRequest[]): Promise<void> {
    let pending: WriteRequest[] = requests;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 10) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed after 10 retries`);
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 25 * 2 ** round)));
      const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = response.UnprocessedItems?.[tableName] ?? [];
    }
  }
  return {
    async write(events, deliveries) {
      const requests: WriteRequest[] = [
        ...events.map((event) => ({ PutRequest: { Item: eventToItem(event) } })),
        ...deliveries.map((record) => ({ PutRequest: { Item: deliveryToItem(record) } })),
      ];
      const batches: WriteRequest[][] = [];
      for (let offset = 0; offset < requests.length; offset += BATCH_WRITE_SIZE) batches.push(requests.slice(offset, offset + BATCH_WRITE_SIZE));
      await forEachBounded(batches, BATCH_WRITE_CONCURRENCY, writeBatch);
    },
  };
}
