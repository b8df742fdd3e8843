// Composition root of the fan-out: config in, SQS batch handler (partial batch failures) out.
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clientOptions } from '../../shared/adapters/clients.ts';
import { createHttpSender, type LookupAll } from '../../shared/adapters/http/sender.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import {
  dynamoDeliveryStore,
  dynamoEventStore,
  dynamoSubscriptionStore,
  dynamoSuspensionStore,
} from '../../shared/adapters/dynamodb/delivery-store.ts';
import { dynamoRejectionSummaryReader } from '../../shared/adapters/dynamodb/rejection-store.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import { dynamoSyncStore } from '../../shared/adapters/dynamodb/sync-store.ts';
import type { FanoutConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { scaledClock } from '../../shared/domain/delivery/time-scale.ts';
import { createFanout, type Fanout, type FanoutDeps } from '../../shared/services/delivery/fanout.ts';
import { subscriptionDirectory, subscriptionScope } from '../../shared/services/delivery/destinations.ts';
import { suspensionTracker } from '../../shared/services/delivery/suspension-tracker.ts';
import { withSyncDestinations } from '../../shared/services/delivery/sync-destinations.ts';

export interface FanoutOverrides {
  /** Injected DNS for the sender (tests simulate rebinding). */
  lookupAll?: LookupAll;
}

export function fanoutDeps(config: FanoutConfig, overrides: FanoutOverrides = {}): FanoutDeps & { close(): Promise<void> } {
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, config.aws.endpoints.dynamodb));
  const sqs = new SQSClient(clientOptions(config.aws, config.aws.endpoints.sqs));
  const cipher = secretCipherFromConfig(config.aws, config.secrets);
  if (cipher === undefined) throw new Error('fanout: HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY is required');
  const timeScale = config.timeScale ?? 1;
  // Syncs are delivery targets too: their jobs name a `syn_` id (shared/services/sync-destinations.ts).
  const subscriptions = withSyncDestinations(dynamoSubscriptionStore(dynamodb, config.tableName), dynamoSyncStore(dynamodb, config.tableName));
  const directory = subscriptionDirectory(subscriptions, {
    ttlMs: config.subscriptionCacheSeconds * 1000,
    cipher,
    scope: subscriptionScope(config),
  });
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
      directory.close();
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
