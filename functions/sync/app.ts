// Composition root of the sync function: the engine (DuckDB, S3, DynamoDB, SQS) behind an SQS
// batch handler. The SyncService, which needs no DuckDB, is composed in ./service.ts.
import { fileURLToPath } from 'node:url';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { dynamoRowOpWriter } from '../../shared/adapters/dynamodb/sync-store.ts';
import { duckDbSyncWorkspace } from '../../shared/adapters/duckdb/sync-workspace.ts';
import type { SyncConfig } from '../../shared/config.ts';
import { parseSyncMessage } from '../../shared/domain/syncs/messages.ts';
import { log } from '../../shared/logger.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineDeps } from '../../shared/services/syncs/engine.ts';
import { syncStores } from './service.ts';

export interface SyncOverrides {
  /** Tests: a crash point after a chunk is enqueued (shared/services/syncs/engine.ts). */
  afterChunkEnqueued?: SyncEngineDeps['afterChunkEnqueued'];
  /** Tests: called as a run's query starts (sync-engine.ts). */
  beforePlan?: SyncEngineDeps['beforePlan'];
  /** Tests: time kept in reserve before a run continues in a new message. */
  reserveMs?: number;
}

/**
 * The module a run's query process runs, in the source tree (the local stack, tests). The Lambda
 * bundle is one file: handler.ts names itself instead.
 */
export const SOURCE_PLAN_ENTRY = fileURLToPath(new URL('./plan-process.ts', import.meta.url));

/** `planEntry`: the module a run's query process runs (shared/adapters/duckdb/sync-plan-process.ts). */
export function syncEngineDeps(config: SyncConfig, planEntry: string, overrides: SyncOverrides = {}): SyncEngineDeps & { close(): void } {
  const common = syncStores(config);
  const s3 = s3Client(config.aws);
  const workspace = duckDbSyncWorkspace({
    s3,
    bucket: config.lakeBucket,
    origin: config.aws.endpoints.s3,
    rootDir: config.workDir,
    limits: config.queryLimits,
    planEntry,
  });
  return {
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

/** SQS batch → engine, one message at a time (a run message may use most of the invocation), partial batch failures. */
export function createSyncHandler(engine: SyncEngine) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event, context) => {
    const failed: string[] = [];
    for (const record of event.Records) {
      try {
        await engine.handle(parseSyncMessage(record.body), () => context.getRemainingTimeInMillis());
      } catch (error) {
        log.error('sync-queue message failed; it will be retried', { messageId: record.messageId, error });
        failed.push(record.messageId);
      }
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}

export { createSyncEngine };
