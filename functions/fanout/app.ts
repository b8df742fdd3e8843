// Composition root of the fan-out: config in, SQS batch handler (partial batch failures) out.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { subscriptionChanges } from '../../shared/adapters/broadcast/subscription-changes.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import { dynamoDeliveryStore, dynamoEventStore, dynamoSuspensionStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { dynamoRejectionSummaryReader } from '../../shared/adapters/dynamodb/rejection-store.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/subscription-store.ts';
import { dynamoSyncStore } from '../../shared/adapters/dynamodb/sync-store.ts';
import { createHttpSender, type LookupAll } from '../../shared/adapters/http/sender.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import type { FanoutConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { scaledClock } from '../../shared/domain/delivery/time-scale.ts';
import { destinationDirectory, destinationSource } from '../../shared/services/delivery/destinations.ts';
import type { Fanout, FanoutDeps } from '../../shared/services/delivery/fanout.ts';
import { suspensionTracker } from '../../shared/services/delivery/suspension-tracker.ts';

export interface FanoutOverrides {
  /** Injected DNS for the sender (tests simulate rebinding). */
  lookupAll?: LookupAll;
}

export function fanoutDeps(config: FanoutConfig, overrides: FanoutOverrides = {}): FanoutDeps & { close(): Promise<void> } {
  const dynamodb = dynamoDbClient(config.aws);
  const sqs = sqsClient(config.aws);
  const cipher = secretCipherFromConfig(config.aws, config.secrets);
  if (cipher === undefined) throw new Error('fanout: HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY is required');
  const timeScale = config.timeScale ?? 1;
  // Both kinds of destination: subscriptions (matched to events) and syncs (their row-ops' jobs name a `syn_` id).
  const source = destinationSource({
    subscriptions: dynamoSubscriptionStore(dynamodb, config.tableName),
    syncs: dynamoSyncStore(dynamodb, config.tableName),
  });
  const directory = destinationDirectory(source, { ttlMs: config.subscriptionCacheSeconds * 1000, cipher });
  const stopListening = subscriptionChanges(config).listen(directory.invalidate);
  const sender = createHttpSender({
    allowPrivateTargets: config.allowPrivateTargets,
    allowLoopbackTargets: config.allowLoopbackTargets,
    timeoutMs: config.deliveryTimeoutMs,
    ...(overrides.lookupAll === undefined ? {} : { lookupAll: overrides.lookupAll }),
  });
  return {
    directory,
    events: dynamoEventStore(dynamodb, config.tableName),
    deliveries: dynamoDeliveryStore(dynamodb, config.tableName),
    suspension: suspensionTracker(dynamoSuspensionStore(dynamodb, config.tableName), { cacheMs: 1000 }),
    rejectionSummaries: dynamoRejectionSummaryReader(dynamodb, config.tableName),
    queue: sqsEventsQueue(sqs, config.eventsQueueUrl),
    sender,
    clock: timeScale === 1 ? systemClock : scaledClock(timeScale, config.timeOriginMs ?? Date.now()),
    random: Math.random,
    timeScale,
    concurrency: config.concurrency,
    retentionDays: config.deliveryRetentionDays,
    maxReceiveCount: config.maxReceiveCount,
    async close() {
      stopListening();
      await sender.close();
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}

export function createFanoutHandler(fanout: Fanout) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
    const { failedMessageIds } = await fanout.handleBatch(
      event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1,
      })),
    );
    return { batchItemFailures: failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}
