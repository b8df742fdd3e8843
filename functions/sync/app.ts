// Composition root of the sync function: the engine (DuckDB, S3, DynamoDB, SQS) and the lake's
// compaction (DuckDB, S3), behind one SQS batch handler for the sync queue's messages. The
// SyncService, which needs no DuckDB, is composed in ./service.ts.
import { fileURLToPath } from 'node:url';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { dynamoSchemaStore } from '../../shared/adapters/dynamodb/schema-store.ts';
import { dynamoRowOpWriter } from '../../shared/adapters/dynamodb/sync-store.ts';
import { duckDbHourMerger, s3ObjectFiles } from '../../shared/adapters/duckdb/hour-merger.ts';
import { duckDbSyncWorkspace } from '../../shared/adapters/duckdb/sync-workspace.ts';
import { s3LakeObjects } from '../../shared/adapters/s3/lake-objects.ts';
import { byteSizeText } from '../../shared/domain/syncs/query-limits.ts';
import { DEFAULT_COMPACTION_SETTINGS, DEFAULT_MIRROR_SETTINGS, ENV, type SyncConfig } from '../../shared/config.ts';
import { isCompactionMessage, parseSyncQueueMessage } from '../../shared/domain/syncs/messages.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { join } from 'node:path';
import { log } from '../../shared/logger.ts';
import { createCompactionWorker } from '../../shared/services/lake/compaction.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineDeps } from '../../shared/services/syncs/engine.ts';
import { syncStores } from './service.ts';

export interface SyncOverrides {
  /** Tests: a crash point after a chunk is enqueued (shared/services/syncs/engine.ts). */
  afterChunkEnqueued?: SyncEngineDeps['afterChunkEnqueued'];
  /** Tests: called as a run's query starts (sync-engine.ts). */
  beforePlan?: SyncEngineDeps['beforePlan'];
  /** Tests: time kept in reserve before a run continues in a new message. */
  reserveMs?: number;
  /** Tests: time kept in reserve before a partition's compaction continues in a new message. */
  compactionReserveMs?: number;
}

export type CompactionWorker = ReturnType<typeof createCompactionWorker>;

/**
 * The module a run's query process runs, in the source tree (the local stack, tests). The Lambda
 * bundle is one file: handler.ts names itself instead.
 */
export const SOURCE_PLAN_ENTRY = fileURLToPath(new URL('./plan-process.ts', import.meta.url));

/** `planEntry`: the module a run's query process runs (shared/adapters/duckdb/sync-plan-process.ts). */
export function syncEngineDeps(config: SyncConfig, planEntry: string, overrides: SyncOverrides = {}): SyncEngineDeps & { close(): void; compaction: CompactionWorker } {
  const common = syncStores(config);
  const s3 = s3Client(config.aws);
  const mirror = config.mirror ?? DEFAULT_MIRROR_SETTINGS;
  const workspace = duckDbSyncWorkspace({
    s3,
    bucket: config.lakeBucket,
    origin: config.aws.endpoints.s3,
    rootDir: config.workDir,
    limits: config.queryLimits,
    planEntry,
    mirrorLimitBytes: mirror.limitBytes,
    mirrorLimitSetting: ENV.syncMirrorLimit,
    downloadConcurrency: mirror.downloadConcurrency,
    schemas: dynamoSchemaStore(common.dynamodb, config.tableName),
  });
  const compactionSettings = config.compaction ?? DEFAULT_COMPACTION_SETTINGS;
  const compaction = createCompactionWorker({
    lake: s3LakeObjects(s3, config.lakeBucket),
    merger: duckDbHourMerger({
      objects: s3ObjectFiles(s3, config.lakeBucket),
      workDir: join(config.workDir, 'compaction'),
      maxInputBytes: compactionSettings.workLimitBytes,
      limitSetting: ENV.compactionWorkLimit,
      downloadConcurrency: mirror.downloadConcurrency,
      memoryLimit: byteSizeText(config.queryLimits.duckDbMemoryBytes),
      threads: config.queryLimits.threads,
    }),
    // Object ages are S3's times, whatever the engine's (simulated) clock.
    clock: systemClock,
    queue: { send: (partitions) => common.syncQueue.send(partitions.map((partition) => ({ message: { v: 1, kind: 'compact', ...partition } }))) },
    graceMs: compactionSettings.graceMs,
    ...(overrides.compactionReserveMs === undefined ? {} : { reserveMs: overrides.compactionReserveMs }),
  });
  return {
    compaction,
    store: common.store,
    rowOps: dynamoRowOpWriter(common.dynamodb, config.tableName),
    deliveries: common.deliveries,
    eventsQueue: common.eventsQueue,
    syncQueue: common.syncQueue,
    workspace,
    clock: common.clock,
    timeScale: config.timeScale ?? 1,
    retentionDays: config.deliveryRetentionDays,
    chunkSize: config.chunkSize,
    ...(overrides.reserveMs === undefined ? {} : { reserveMs: overrides.reserveMs }),
    ...(overrides.afterChunkEnqueued === undefined ? {} : { afterChunkEnqueued: overrides.afterChunkEnqueued }),
    ...(overrides.beforePlan === undefined ? {} : { beforePlan: overrides.beforePlan }),
    close() {
      workspace.close?.();
      common.close();
      s3.destroy();
    },
  };
}

/** SQS batch → engine or compaction, one message at a time (a run message may use most of the invocation), partial batch failures. */
export function createSyncHandler(engine: SyncEngine, compaction: CompactionWorker) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) => {
    const failed: string[] = [];
    for (const record of event.Records) {
      try {
        const message = parseSyncQueueMessage(record.body);
        const remainingMs = () => context.getRemainingTimeInMillis();
        if (isCompactionMessage(message)) await compaction.handle(message, remainingMs);
        else await engine.handle(message, remainingMs);
      } catch (error) {
        log.error('sync-queue message failed; it will be retried', { messageId: record.messageId, error });
        failed.push(record.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}

export { createSyncEngine };
