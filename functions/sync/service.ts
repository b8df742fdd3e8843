// Composition of the SyncService (shared/services/syncs/service.ts) from its config: what the
// management API (functions/api/app.ts) calls, and the local stack's tests. Nothing here loads DuckDB (the api
// function's bundle stays free of the native module); the sync function adds the engine (app.ts).
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import { dynamoDeliveryStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { dynamoSyncStore } from '../../shared/adapters/dynamodb/sync-store.ts';
import { createHttpSender, resolverFrom, type LookupAll } from '../../shared/adapters/http/sender.ts';
import type { SyncFiles } from '../../shared/adapters/s3/sync-files.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import { sqsSyncQueue } from '../../shared/adapters/sqs/sync-queue.ts';
import type { SyncConfig, SyncServiceConfig } from '../../shared/config.ts';
import { systemClock, type Clock } from '../../shared/domain/clock.ts';
import { scaledClock } from '../../shared/domain/delivery/time-scale.ts';
import type { SyncService } from '../../shared/ports/syncs.ts';
import { createSyncService } from '../../shared/services/syncs/service.ts';

/** The engine's clock: the delivery engine's (simulated in the local stack when timeScale > 1). */
export function syncClock(config: Pick<SyncConfig, 'timeScale' | 'timeOriginMs'>): Clock {
  const timeScale = config.timeScale ?? 1;
  return timeScale === 1 ? systemClock : scaledClock(timeScale, config.timeOriginMs ?? Date.now());
}

/** The table and queue adapters both the service and the engine use. */
export function syncStores(config: SyncServiceConfig) {
  const dynamodb = dynamoDbClient(config.aws);
  const sqs = sqsClient(config.aws);
  return {
    dynamodb,
    store: dynamoSyncStore(dynamodb, config.tableName),
    deliveries: dynamoDeliveryStore(dynamodb, config.tableName),
    eventsQueue: sqsEventsQueue(sqs, config.eventsQueueUrl),
    syncQueue: sqsSyncQueue(sqs, config.syncQueueUrl),
    clock: syncClock(config),
    close() {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

/**
 * A deleted sync's files, through an S3 client made at the first delete: the S3 SDK is loaded only
 * then, so the api function's cold start does not pay for a call it rarely makes.
 */
function lazyS3SyncFiles(config: SyncServiceConfig): SyncFiles & { close(): void } {
  let files: Promise<{ files: SyncFiles; close(): void }> | undefined;
  const open = async () => {
    const [{ s3Client }, { s3SyncFiles }] = await Promise.all([
      import('../../shared/adapters/clients/s3.ts'),
      import('../../shared/adapters/s3/sync-files.ts'),
    ]);
    const s3 = s3Client(config.aws);
    return { files: s3SyncFiles(s3, config.lakeBucket), close: () => s3.destroy() };
  };
  return {
    async deleteSync(syncId) {
      files ??= open();
      await (await files).files.deleteSync(syncId);
    },
    close() {
      void files?.then((opened) => opened.close());
    },
  };
}

/** The SyncService over the real adapters. `lookupAll`: the connection test's DNS (tests). */
export function syncServiceFromConfig(config: SyncServiceConfig, overrides: { lookupAll?: LookupAll } = {}): SyncService & { close(): Promise<void> } {
  const stores = syncStores(config);
  const files = lazyS3SyncFiles(config);
  const cipher = secretCipherFromConfig(config.aws, config.secrets);
  if (cipher === undefined) throw new Error('syncs: HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY is required');
  const sender = createHttpSender({
    allowPrivateTargets: config.allowPrivateTargets ?? false,
    allowLoopbackTargets: config.allowLoopbackTargets,
    timeoutMs: config.deliveryTimeoutMs ?? 5000,
    ...(overrides.lookupAll === undefined ? {} : { lookupAll: overrides.lookupAll }),
  });
  const service = createSyncService({
    ...stores,
    files,
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
      stores.close();
      files.close();
    },
  };
}
