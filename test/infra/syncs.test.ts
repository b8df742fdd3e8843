// Syncs in HooklakeStack: the sync function, its queue and DLQ, the EventBridge Scheduler tick, and
// exactly what the sync role may do. One unbundled synth (stack.test.ts bundles the sync function
// and loads it, DuckDB's native binding included).
import { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import type { HooklakeFunction } from '../../infra/constructs/function.ts';
import { SYNC_DELIVERY_PARTITION, SYNC_EVENT_PARTITION, SYNC_ID_PATTERN, SYNC_PARTITIONS } from '../../infra/constructs/syncs.ts';
import { HooklakeStack, propsFromContext } from '../../infra/stack.ts';
import { deliveryKey, eventKey } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { SCHEMA_PK, schemaKey } from '../../shared/adapters/dynamodb/schema-store.ts';
import { runKey, syncKey } from '../../shared/adapters/dynamodb/sync-store.ts';
import { ENV, lakeSettingsFromEnv, syncQueryLimitsFromEnv } from '../../shared/config.ts';
import { LAKE_PREFIX } from '../../infra/constructs/lake.ts';
import { COMPACTION_PREFIX, manifestPrefix } from '../../shared/domain/lake/compaction.ts';
import { localSyncQueryLimits } from '../../shared/domain/syncs/query-limits.ts';
import { newRunId, newSyncId, rowOpEventId } from '../../shared/domain/syncs/ids.ts';
import { parseSyncMessage, parseSyncQueueMessage } from '../../shared/domain/syncs/messages.ts';
import { flatten, type Json, permissionsOf as cfnPermissionsOf, resourcesOfType as cfnResourcesOfType } from './cfn.ts';
import { subscriptionKey } from '../../shared/adapters/dynamodb/subscription-store.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let stack: HooklakeStack;
let resources: Record<string, Json>;
const id = (construct: IConstruct) =>
  stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);
const permissionsOf = (fn: HooklakeFunction) => cfnPermissionsOf(resources, id(fn.role));

beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING } });
  stack = new HooklakeStack(app, 'HooklakeStack');
  resources = Template.fromStack(stack).toJSON().Resources;
});

const syncQueue = () => `<${id(stack.syncs.queue)}.Arn>`;
/** IAM StringLike: `*` any run of characters, everything else literal. */
const like = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);

describe('sync function', () => {
  it('runs functions/sync on x86_64 with 3008 MB, 15 minutes, 10 GiB of /tmp and exactly its environment', () => {
    const fn = resources[id(stack.sync.fn)].Properties;
    expect(fn).toMatchObject({ Architectures: ['x86_64'], MemorySize: 3008, Timeout: 900, EphemeralStorage: { Size: 10240 } });
    expect(fn.Environment.Variables).toEqual({
      [ENV.tableName]: { Ref: id(stack.stateTable.table) },
      [ENV.lakeBucket]: { Ref: id(stack.lake.bucket) },
      [ENV.eventsQueueUrl]: { Ref: id(stack.outbound.queue) },
      [ENV.syncQueueUrl]: { Ref: id(stack.syncs.queue) },
      [ENV.deliveryRetentionDays]: '30',
      [ENV.syncWorkDir]: '/tmp/hooklake-sync',
      // The query's bounds, derived from the function's 3008 MB, 15 minutes and 10 GiB of /tmp.
      [ENV.syncProcessMemoryLimit]: '2496MiB',
      [ENV.syncMemoryLimit]: '1497MiB',
      [ENV.syncThreads]: '2',
      [ENV.syncTempLimit]: '5GiB',
      [ENV.syncTimeLimitSeconds]: '600',
      // The lake mirror and compaction share the other half of /tmp; the grace is hooklake:compactionGraceMinutes.
      [ENV.syncMirrorLimit]: '4GiB',
      [ENV.syncDownloadConcurrency]: '32',
      [ENV.compactionGraceSeconds]: '3600',
      [ENV.compactionWorkLimit]: '1GiB',
    });
  });

  it('shares /tmp between a run\'s directory, the lake mirror and an hour\'s compaction, as the function reads them back', () => {
    const fn = resources[id(stack.sync.fn)].Properties;
    const env = fn.Environment.Variables as Record<string, string>;
    const limits = syncQueryLimitsFromEnv(env, localSyncQueryLimits(1));
    const lake = lakeSettingsFromEnv(env);
    expect(limits.tempBytes + lake.mirror.limitBytes! + lake.compaction.workLimitBytes).toBeLessThanOrEqual(fn.EphemeralStorage.Size * 1024 * 1024);
    expect(lake.compaction.graceMs).toBe(3_600_000);
    const app = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING, 'hooklake:compactionGraceMinutes': '0' } });
    const custom = new HooklakeStack(app, 'Custom', propsFromContext(app.node));
    const customFn = Template.fromStack(custom).toJSON().Resources[custom.getLogicalId(custom.sync.fn.node.defaultChild as CfnElement)].Properties;
    expect(customFn.Environment.Variables[ENV.compactionGraceSeconds]).toBe('0');
  });

  it('bounds the query below what the function has, as the function reads them back; the queue hides a message longer than a run can take', () => {
    const fn = resources[id(stack.sync.fn)].Properties;
    const limits = syncQueryLimitsFromEnv(fn.Environment.Variables, localSyncQueryLimits(1));
    expect(limits.processMemoryBytes).toBeLessThan(fn.MemorySize * 1024 * 1024);
    expect(limits.duckDbMemoryBytes).toBeLessThan(limits.processMemoryBytes);
    expect(limits.tempBytes).toBeLessThan(fn.EphemeralStorage.Size * 1024 * 1024);
    // The time bound leaves room in the invocation for mirroring the lake and the first chunk after the query.
    expect(limits.timeLimitMs / 1000).toBeLessThanOrEqual(fn.Timeout - 300);
    // A message is not handed out again while the function may still be planning it.
    expect(resources[id(stack.syncs.queue)].Properties.VisibilityTimeout).toBeGreaterThan(fn.Timeout);
  });

  it('is fed one message at a time by the sync queue, partial failures, at most 2 at once (hooklake:syncMaxConcurrency), and is its only consumer', () => {
    const mappings = cfnResourcesOfType(resources, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => flatten(m.Properties.EventSourceArn) === syncQueue());
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toMatchObject({
      FunctionName: { Ref: id(stack.sync.fn) },
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('sync queue and schedule', () => {
  it('is encrypted, TLS-only, hides a message for six function timeouts and redrives to a DLQ after 5 receives', () => {
    const queue = resources[id(stack.syncs.queue)].Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBe(5400);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.syncs.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 });
    expect(resources[id(stack.syncs.dlqDepthAlarm)].Properties.Threshold).toBe(0);
    expect(resources[id(stack.syncs.oldestMessageAlarm)].Properties.Threshold).toBe(1800);
  });

  it('an EventBridge Scheduler schedule sends a tick every minute, through a role that may only send to the sync queue', () => {
    const schedule = resources[id(stack.syncs.schedule)].Properties;
    expect(schedule.ScheduleExpression).toBe('rate(1 minute)');
    expect(flatten(schedule.Target.Arn)).toBe(syncQueue());
    expect(parseSyncMessage(schedule.Target.Input)).toEqual({ v: 1, kind: 'tick' });
    expect(schedule.Target.RoleArn).toEqual({ 'Fn::GetAtt': [id(stack.syncs.schedulerRole), 'Arn'] });
    expect(cfnPermissionsOf(resources, id(stack.syncs.schedulerRole))).toEqual([`sqs:SendMessage ${syncQueue()}`]);
    expect(resources[id(stack.syncs.schedulerRole)].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
  });

  it('two more schedules put compaction ticks on the sync queue: hourly at minute 20 over two days, daily over fifteen', () => {
    const hourly = resources[id(stack.syncs.compactionSchedule)].Properties;
    const daily = resources[id(stack.syncs.compactionSweepSchedule)].Properties;
    expect(hourly.ScheduleExpression).toBe('cron(20 * * * ? *)');
    expect(daily.ScheduleExpression).toBe('cron(50 3 * * ? *)');
    expect(parseSyncQueueMessage(hourly.Target.Input)).toEqual({ v: 1, kind: 'compact_tick', days: 2 });
    expect(parseSyncQueueMessage(daily.Target.Input)).toEqual({ v: 1, kind: 'compact_tick', days: 15 });
    for (const schedule of [hourly, daily]) {
      expect(flatten(schedule.Target.Arn)).toBe(syncQueue());
      expect(schedule.Target.RoleArn).toEqual({ 'Fn::GetAtt': [id(stack.syncs.schedulerRole), 'Arn'] });
    }
    // The sync queue's schedules are these and the minute tick (the typed tables' refresh has its own).
    const onSyncQueue = cfnResourcesOfType(resources, 'AWS::Scheduler::Schedule').filter(([, schedule]) => flatten(schedule.Properties.Target.Arn) === syncQueue());
    expect(onSyncQueue.map(([logicalId]) => logicalId).sort()).toEqual([id(stack.syncs.schedule), id(stack.syncs.compactionSchedule), id(stack.syncs.compactionSweepSchedule)].sort());
  });

  it("every schedule is created after its role's policy, so the first ticks are not refused", () => {
    const policies = cfnResourcesOfType(resources, 'AWS::IAM::Policy')
      .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === id(stack.syncs.schedulerRole)))
      .map(([policyId]) => policyId);
    expect(policies).toHaveLength(1);
    for (const schedule of [stack.syncs.schedule, stack.syncs.compactionSchedule, stack.syncs.compactionSweepSchedule]) {
      expect(resources[id(schedule)].DependsOn).toEqual(policies);
    }
  });

  it('exports the sync queue and its DLQ', () => {
    const outputs = Template.fromStack(stack).toJSON().Outputs;
    expect(outputs.SyncQueueUrl.Value).toEqual({ Ref: id(stack.syncs.queue) });
    expect(outputs.SyncDeadLetterQueueUrl.Value).toEqual({ Ref: id(stack.syncs.deadLetterQueue) });
  });
});

describe('IAM of the sync function', () => {
  it('allows exactly its calls: lake reads, compaction writes and removals, syncs/ files, sync and run items, its row-ops, the two queues; no KMS', () => {
    const lake = `<${id(stack.lake.bucket)}.Arn>`;
    const table = `<${id(stack.stateTable.table)}.Arn>`;
    const keys = (...partitions: string[]) => `if ForAllValues:StringLike dynamodb:LeadingKeys=${[...partitions].sort().join(',')}`;
    expect(permissionsOf(stack.sync)).toEqual(
      [
        `logs:CreateLogStream <${id(stack.sync.logGroup)}.Arn>`,
        `logs:PutLogEvents <${id(stack.sync.logGroup)}.Arn>`,
        ...['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl'].map((a) => `sqs:${a} ${syncQueue()}`),
        `sqs:SendMessage ${syncQueue()}`,
        `sqs:SendMessage <${id(stack.outbound.queue)}.Arn>`,
        `s3:ListBucket ${lake} if StringLike s3:prefix=compaction/*,syncs/*,webhooks/*`,
        `s3:GetObject ${lake}/webhooks/*`,
        // Compaction: each hour's object (in parts when large), then the removal of what it replaced.
        `s3:PutObject ${lake}/webhooks/*`,
        `s3:DeleteObject ${lake}/webhooks/*`,
        `s3:AbortMultipartUpload ${lake}/webhooks/*`,
        `s3:GetObject ${lake}/compaction/*`,
        `s3:PutObject ${lake}/compaction/*`,
        `s3:DeleteObject ${lake}/compaction/*`,
        `s3:GetObject ${lake}/syncs/*`,
        `s3:PutObject ${lake}/syncs/*`,
        `s3:DeleteObject ${lake}/syncs/*`,
        `dynamodb:GetItem ${table} ${keys('SCHEMA', 'SYNC', 'SYNC#*')}`,
        `dynamodb:Query ${table} ${keys('SYNC', 'DELIVERY#syn_*')}`,
        `dynamodb:UpdateItem ${table} ${keys('SYNC')}`,
        `dynamodb:PutItem ${table} ${keys('SYNC#*')}`,
        `dynamodb:BatchGetItem ${table} ${keys('DELIVERY#syn_*')}`,
        `dynamodb:BatchWriteItem ${table} ${keys('DELIVERY#syn_*', 'EVENT#evt_sync_*')}`,
      ].sort(),
    );
  });

  it("the key conditions cover the partitions its adapters use, and no subscription's deliveries", () => {
    const syncId = newSyncId();
    const runId = newRunId(Date.now());
    expect(syncKey(syncId).pk.S).toMatch(like(SYNC_PARTITIONS[0]));
    expect(runKey(syncId, runId).pk.S).toMatch(like(SYNC_PARTITIONS[1]));
    // A query naming pipeline_<N> reads that pipeline's schema item.
    expect(schemaKey(7).pk.S).toBe(SCHEMA_PK);
    expect(deliveryKey(syncId, 'dlv_x').pk.S).toMatch(like(SYNC_DELIVERY_PARTITION));
    expect(eventKey(rowOpEventId({ syncId, runId, key: '1', op: 'upsert', rowNum: 1 })).pk.S).toMatch(like(SYNC_EVENT_PARTITION));
    expect(deliveryKey('sub_0123456789abcdef0123', 'dlv_x').pk.S).not.toMatch(like(SYNC_DELIVERY_PARTITION));
    expect(eventKey('evt_recv_abcdefghijklmnopqrst').pk.S).not.toMatch(like(SYNC_EVENT_PARTITION));
    expect(subscriptionKey('sub_1').pk.S).not.toMatch(like(SYNC_PARTITIONS[1]));
  });

  it('the compaction prefix granted is the one the code writes manifests under', () => {
    expect(LAKE_PREFIX.compaction).toBe(COMPACTION_PREFIX);
    expect(manifestPrefix(7, '2026-11-30')).toMatch(like(`${LAKE_PREFIX.compaction}*`));
  });

  it('the KMS grant for sync secrets matches every sync id and no subscription id', () => {
    expect(newSyncId()).toMatch(like(SYNC_ID_PATTERN));
    expect('sub_0123456789abcdef0123').not.toMatch(like(SYNC_ID_PATTERN));
  });
});
