// Syncs on AWS: the sync queue with its DLQ and alarms, the EventBridge Scheduler
// schedule that ticks it every minute, and the event source that feeds it to the sync function.
// The function itself is a HooklakeFunction made in stack.ts (x86_64, DuckDB shipped beside the
// bundle); its permissions are granted there, next to the other roles'. The same function compacts
// the lake (it already ships DuckDB, and another queue consumer would need concurrency a new
// account does not have): two more schedules put `compact_tick` messages on the sync queue.
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config.ts';
import { COMPACTION_SWEEP_DAYS, COMPACTION_TICK_DAYS, serializeSyncMessage } from '../../shared/domain/syncs/messages.ts';
import { encryptionContextCondition } from './encryption-context.ts';
import { byteSizeText, lambdaSyncQueryLimits, SYNC_QUERY_LIMIT_ENV, type SyncQueryLimits } from '../../shared/domain/syncs/query-limits.ts';
import { createMonitoredQueue } from './monitored-queue.ts';
import { scheduleAs, schedulerRole } from './schedules.ts';

/** The sync function's limits: a run continues in a new invocation before 15 minutes are up. */
export const SYNC_FUNCTION_TIMEOUT = Duration.minutes(15);
export const SYNC_FUNCTION_MEMORY_MB = 3008;
/** /tmp of the sync function: the lake mirror and a run's files (Lambda allows up to 10 GiB). */
export const SYNC_EPHEMERAL_STORAGE_MIB = 10_240;
/**
 * What bounds a run's query in the sync function, derived from its memory, timeout and /tmp: with
 * 3008 MB, 15 minutes and 10 GiB, a query process of 2496 MiB (DuckDB's memory_limit 1497 MiB),
 * 2 threads, 5 GiB of disk and 10 minutes. The queue hides a message for six timeouts, so a run
 * that plans up to the bound is never handed out twice.
 */
export const SYNC_QUERY_LIMITS: SyncQueryLimits = lambdaSyncQueryLimits({
  memoryMiB: SYNC_FUNCTION_MEMORY_MB,
  timeoutSeconds: SYNC_FUNCTION_TIMEOUT.toSeconds(),
  ephemeralStorageMiB: SYNC_EPHEMERAL_STORAGE_MIB,
});

const MIB = 1024 * 1024;
/**
 * How the sync function's 10 GiB of /tmp is shared: a run's directory (the query's disk bound, half
 * of it), the lake mirror (4 GiB: ~13 compacted days of a 1,000,000-a-day pipeline with 1 KB bodies,
 * all columns; docs/syncs.md) and an hour's compaction (1 GiB of inputs: an hour of ~10,000,000 a day).
 */
export const SYNC_MIRROR_LIMIT_BYTES = 4096 * MIB;
export const COMPACTION_WORK_LIMIT_BYTES = 1024 * MIB;
/** Parallel GETs into the mirror and of an hour's inputs: S3 serves ~5,500 GETs/s per prefix; a Lambda's network ~60-70 MB/s. */
export const SYNC_DOWNLOAD_CONCURRENCY = 32;
/** The hourly compaction tick (minute 20: the hour before ended at least 15 minutes ago) and the daily one that looks back as far as the ingest DLQ keeps a message. */
export const COMPACTION_SCHEDULE = 'cron(20 * * * ? *)';
export const COMPACTION_SWEEP_SCHEDULE = 'cron(50 3 * * ? *)';

/** The sync function's environment variables that carry its query limits (read by config.ts syncQueryLimitsFromEnv). */
export function syncQueryLimitsEnvironment(limits: SyncQueryLimits = SYNC_QUERY_LIMITS): Record<string, string> {
  return {
    [SYNC_QUERY_LIMIT_ENV.processMemoryBytes]: byteSizeText(limits.processMemoryBytes),
    [SYNC_QUERY_LIMIT_ENV.duckDbMemoryBytes]: byteSizeText(limits.duckDbMemoryBytes),
    [SYNC_QUERY_LIMIT_ENV.threads]: String(limits.threads),
    [SYNC_QUERY_LIMIT_ENV.tempBytes]: byteSizeText(limits.tempBytes),
    [SYNC_QUERY_LIMIT_ENV.timeLimitMs]: String(Math.ceil(limits.timeLimitMs / 1000)),
  };
}
export const SYNC_MAX_RECEIVE_COUNT = 5;
/** The sync function's architecture: its DuckDB binding is the one built for it. */
export const SYNC_ARCHITECTURE = lambda.Architecture.X86_64;
/**
 * Packages the sync function ships beside its bundle: DuckDB's API, the loader that picks the
 * binding, and the binding for Lambda's Linux (glibc) on the given architecture.
 */
export function syncNativeModules(architecture: lambda.Architecture): string[] {
  const arch = architecture === lambda.Architecture.ARM_64 ? 'arm64' : 'x64';
  return ['@duckdb/node-api', '@duckdb/node-bindings', `@duckdb/node-bindings-linux-${arch}`, 'detect-libc'];
}
/** Every sync item's partition key (`SYNC`) and every run item's (`SYNC#<sync id>`). */
export const SYNC_PARTITIONS = ['SYNC', 'SYNC#*'] as const;
/** The deliveries and events of sync row-ops (sync ids are `syn_…`, row-op event ids `evt_sync_…`). */
export const SYNC_DELIVERY_PARTITION = 'DELIVERY#syn_*';
export const SYNC_EVENT_PARTITION = 'EVENT#evt_sync_*';
/**
 * A sync's secret and header values are encrypted with EncryptionContext {subscriptionId: "syn_…"}
 * (the delivery engine treats a sync as a subscription): only grants naming this pattern open them.
 */
export const SYNC_ID_PATTERN = 'syn_*';
export const SYNC_ENCRYPTION_CONTEXT = encryptionContextCondition('subscriptionId', SYNC_ID_PATTERN);

export interface SyncsProps {
  /** Alarm when the oldest message waits longer (checks are delayed at most 5 minutes, ticks come every minute). */
  oldestMessageAlarmAge: Duration;
}

/** The lake mirror's and compaction's settings of the sync function (read by config.ts lakeSettingsFromEnv). */
export function lakeSettingsEnvironment(compactionGraceMinutes: number): Record<string, string> {
  return {
    [ENV.syncMirrorLimit]: byteSizeText(SYNC_MIRROR_LIMIT_BYTES),
    [ENV.syncDownloadConcurrency]: String(SYNC_DOWNLOAD_CONCURRENCY),
    [ENV.compactionGraceSeconds]: String(compactionGraceMinutes * 60),
    [ENV.compactionWorkLimit]: byteSizeText(COMPACTION_WORK_LIMIT_BYTES),
  };
}

export class Syncs extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dlqDepthAlarm: cloudwatch.Alarm;
  readonly oldestMessageAlarm: cloudwatch.Alarm;
  readonly schedule: scheduler.CfnSchedule;
  /** The lake's compaction: hourly over the last two days, daily over the last fifteen. */
  readonly compactionSchedule: scheduler.CfnSchedule;
  readonly compactionSweepSchedule: scheduler.CfnSchedule;
  readonly schedulerRole: iam.Role;

  constructor(scope: Construct, id: string, props: SyncsProps) {
    super(scope, id);
    const monitored = createMonitoredQueue(this, {
      consumerTimeout: SYNC_FUNCTION_TIMEOUT,
      maxReceiveCount: SYNC_MAX_RECEIVE_COUNT,
      deadLetterRetention: Duration.days(14),
      deadLetterAlarmDescription:
        'Hooklake: a sync message (tick, run or completion check) failed 5 times and waits in the sync DLQ. Fix the cause, then redrive it to the sync queue.',
      oldestMessageAlarmAge: props.oldestMessageAlarmAge,
      oldestMessageAlarmDescription: 'Hooklake: the sync function is not draining the sync queue (or is failing).',
    });
    this.queue = monitored.queue;
    this.deadLetterQueue = monitored.deadLetterQueue;
    this.dlqDepthAlarm = monitored.dlqDepthAlarm;
    this.oldestMessageAlarm = monitored.oldestMessageAlarm;

    // One schedule for every sync: each minute a tick, and the sync function starts the runs that
    // are due by their own schedule (shared/domain/syncs/schedule.ts, the same code as locally).
    this.schedulerRole = schedulerRole(this, 'Hooklake sync ticks: EventBridge Scheduler sends to the sync queue', 'sqs:SendMessage', this.queue.queueArn);
    this.schedule = scheduleAs(this, 'Tick', this.schedulerRole, this.queue.queueArn, {
      description: 'Hooklake: starts the syncs whose schedule is due',
      scheduleExpression: 'rate(1 minute)',
      input: serializeSyncMessage({ v: 1, kind: 'tick' }),
      retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 },
    });
    const compactionTick = (id: string, description: string, scheduleExpression: string, days: number) =>
      scheduleAs(this, id, this.schedulerRole, this.queue.queueArn, {
        description,
        scheduleExpression,
        input: serializeSyncMessage({ v: 1, kind: 'compact_tick', days }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 600 },
      });
    this.compactionSchedule = compactionTick('CompactionTick', 'Hooklake: compacts the lake hours that ended at least 15 minutes ago (today and yesterday)', COMPACTION_SCHEDULE, COMPACTION_TICK_DAYS);
    this.compactionSweepSchedule = compactionTick(
      'CompactionSweep',
      'Hooklake: compacts late rows of the last 15 days (a redriven ingest DLQ) and removes what grace periods freed',
      COMPACTION_SWEEP_SCHEDULE,
      COMPACTION_SWEEP_DAYS,
    );
  }

  /**
   * One message per invocation (a run may use most of its 15 minutes), partial failures, at most
   * maxConcurrency invocations (runs of one sync never overlap; different syncs may run together).
   */
  connectSyncFunction(fn: lambda.IFunction, maxConcurrency: number): void {
    fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency, reportBatchItemFailures: true }));
  }
}
