// Composition root of the processor: config in, SQS batch handler out.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { subscriptionChanges } from '../../shared/adapters/broadcast/subscription-changes.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import { dynamoCredentialDirectory } from '../../shared/adapters/dynamodb/credential-directory.ts';
import { dynamoRejectionCounter } from '../../shared/adapters/dynamodb/rejection-store.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/subscription-store.ts';
import { s3ClaimStore, s3LakeStore } from '../../shared/adapters/s3/objects.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import type { ProcessorConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { destinationDirectory, destinationSource } from '../../shared/services/delivery/destinations.ts';
import { cachedCredentialDirectory } from '../../shared/services/ingest/credential-cache.ts';
import { eventSink } from '../../shared/services/ingest/event-sink.ts';
import { processIngestBatch, type ProcessDeps } from '../../shared/services/ingest/process-batch.ts';
import { rememberSummaryClaims } from '../../shared/services/ingest/summary-claims.ts';
import { cachedVerifiers } from '../../shared/services/ingest/verifier-cache.ts';

/** Built-in events go out only when some subscription wants them: the processor reads the subscriptions (cached), never a secret. */
function builtInEvents(config: ProcessorConfig & { eventsQueueUrl: string }, dynamodb: ReturnType<typeof dynamoDbClient>) {
  const directory = destinationDirectory(destinationSource({ subscriptions: dynamoSubscriptionStore(dynamodb, config.tableName) }), {
    ttlMs: (config.subscriptionCacheSeconds ?? 10) * 1000,
  });
  subscriptionChanges(config).listen(directory.invalidate);
  return eventSink({ directory, queue: sqsEventsQueue(sqsClient(config.aws), config.eventsQueueUrl) });
}

export function processorDeps(config: ProcessorConfig): ProcessDeps {
  const dynamodb = dynamoDbClient(config.aws);
  const s3 = s3Client(config.aws);
  const { eventsQueueUrl } = config;
  return {
    directory: cachedCredentialDirectory(
      dynamoCredentialDirectory(dynamodb, config.tableName),
      config.authCacheTtlSeconds,
      systemClock,
    ),
    lake: s3LakeStore(s3, config.lakeBucket),
    claims: s3ClaimStore(s3),
    rejections: rememberSummaryClaims(dynamoRejectionCounter(dynamodb, config.tableName)),
    maxReceiveCount: config.ingestMaxReceiveCount,
    bodyBudgetBytes: config.bodyBudgetBytes,
    rejectionSummarySeconds: config.rejectionSummarySeconds,
    clock: systemClock,
    // Signature verifiers beside the credential cache, with its TTL (a `verification set` takes effect as fast as a revocation).
    verifiers: cachedVerifiers(secretCipherFromConfig(config.aws, config.secrets, 'pipeline'), config.authCacheTtlSeconds, systemClock),
    events: eventsQueueUrl === undefined ? undefined : builtInEvents({ ...config, eventsQueueUrl }, dynamodb),
  };
}

export function createProcessorHandler(deps: ProcessDeps) {
  return middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
    const outcome = await processIngestBatch(
      event.Records.map((record) => ({
        messageId: record.messageId,
        body: record.body,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
      })),
      deps,
      { remainingTimeMs: typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined },
    );
    return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}
