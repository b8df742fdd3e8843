// Composition root of syncs: the sync function's engine (SQS batch handler) and the SyncService
// that the management API (and the local stack) compose from the same configuration.
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clientOptions } from '../../shared/adapters/aws-clients.ts';
import { createHttpSender, resolverFrom, type LookupAll } from '../../shared/adapters/http-sender.ts';
import { sqsEventsQueue } from '../../shared/adapters/outbound-queue.ts';
import { dynamoDeliveryStore } from '../../shared/adapters/outbound-store.ts';
import { createS3Client } from '../../shared/adapters/s3-objects.ts';
import { secretCipherFromConfig } from '../../shared/adapters/secret-cipher.ts';
import { sqsSyncQueue } from '../../shared/adapters/sync-queue.ts';
import { dynamoRowOpWriter, dynamoSyncStore } from '../../shared/adapters/sync-store.ts';
import { duckDbSyncWorkspace } from '../../shared/adapters/sync-workspace.ts';
import type { SyncConfig } from '../../shared/config.ts';
import { systemClock, type Clock } from '../../shared/domain/clock.ts';
import { scaledClock } from '../../shared/domain/outbound/time-scale.ts';
import { parseSyncMessage } from '../../shared/domain/sync/messages.ts';
import { log } from '../../shared/logger.ts';
import type { SyncService } from '../../shared/ports/sync.ts';
import { createSyncEngine, type SyncEngine, type SyncEngineDeps } from '../../shared/services/sync-engine.ts';
import { createSyncService } from '../../shared/services/sync-service.ts';

export interface SyncOverrides {
  /** Tests: a crash point after a chunk is enqueued (sync-engine.ts). */
  afterChunkEnqueued?: SyncEngineDeps['afterChunkEnqueued'];
  /** Tests: time kept in reserve before a run continues in a new message. */
  reserveMs?: number;
  /** Tests: DNS of the connection test. */
  lookupAll?: LookupAll;
}

function clockOf(config: SyncConfig): Clock {
  const timeScale = config.timeScale ?? 1;
  return timeScale === 1 ? systemClock : scaledClock(timeScale, config.timeOriginMs ?? Date.now());
}

function commonDeps(config: SyncConfig) {
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, config.aws.endpoints.dynamodb));
  const sqs = new SQSClient(clientOptions(config.aws, config.aws.endpoints.sqs));
  const s3 = createS3Client(config.aws);
  const workspace = duckDbSyncWorkspace({
    s3,
    bucket: config.lakeBucket,
    origin: config.aws.endpoints.s3,
    rootDir: config.workDir,
    memoryLimit: config.duckDbMemoryLimit,
  });
  return {
    clients: { dynamodb, sqs, s3 },
    store: dynamoSyncStore(dynamodb, config.tableName),
    deliveries: dynamoDeliveryStore(dynamodb, config.tableName),
    eventsQueue: sqsEventsQueue(sqs, config.eventsQueueUrl),
    syncQueue: sqsSyncQueue(sqs, config.syncQueueUrl),
    workspace,
    clock: clockOf(config),
    close() {
      workspace.close?.();
      dynamodb.destroy();
      sqs.destroy();
      s3.destroy();
    },
  };
}

export function syncEngineDeps(config: SyncConfig, overrides: SyncOverrides = {}): SyncEngineDeps & { close(): void } {
  const common = commonDeps(config);
  return {
    store: common.store,
    rowOps: dynamoRowOpWriter(common.clients.dynamodb, config.tableName),
    deliveries: common.deliveries,
    eventsQueue: common.eventsQueue,
    syncQueue: common.syncQueue,
    workspace: common.workspace,
    clock: common.clock,
    timeScale: config.timeScale ?? 1,
    retentionDays: config.deliveryRetentionDays,
    chunkSize: config.chunkSize,
    ...(overrides.reserveMs === undefined ? {} : { reserveMs: overrides.reserveMs }),
    ...(overrides.afterChunkEnqueued === undefined ? {} : { afterChunkEnqueued: overrides.afterChunkEnqueued }),
    close: common.close,
  };
}

/** The SyncService over the real adapters (the management API composes it; so does the local stack). */
export function syncServiceFromConfig(config: SyncConfig, overrides: SyncOverrides = {}): SyncService & { close(): Promise<void> } {
  const common = commonDeps(config);
  const cipher = secretCipherFromConfig(config.aws, config.secrets);
  if (cipher === undefined) throw new Error('syncs: HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY is required');
  const sender = createHttpSender({
    allowPrivateTargets: config.allowPrivateTargets ?? false,
    allowLoopbackTargets: config.allowLoopbackTargets,
    timeoutMs: config.deliveryTimeoutMs ?? 5000,
    ...(overrides.lookupAll === undefined ? {} : { lookupAll: overrides.lookupAll }),
  });
  const service = createSyncService({
    ...common,
    cipher,
    sender,
    resolve: resolverFrom(overrides.lookupAll),
    allowPrivateTargets: config.allowPrivateTargets ?? false,
    allowLoopbackTargets: config.allowLoopbackTargets,
  });
  return {
    ...service,
    async close() {
      await sender.close();
      common.close();
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
