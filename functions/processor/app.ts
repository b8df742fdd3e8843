// Composition root of the processor: config in, SQS batch handler out.
import middy from '@middy/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { clientOptions } from '../../shared/adapters/clients.ts';
import { dynamoCredentialDirectory } from '../../shared/adapters/dynamodb/credential-directory.ts';
import { dynamoRejectionCounter } from '../../shared/adapters/dynamodb/rejection-store.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { createS3Client, s3ClaimStore, s3LakeStore } from '../../shared/adapters/s3/objects.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import type { ProcessorConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { cachedCredentialDirectory } from '../../shared/services/ingest/credential-cache.ts';
import { eventSink } from '../../shared/services/ingest/event-sink.ts';
import { subscriptionDirectory, subscriptionScope } from '../../shared/services/delivery/destinations.ts';
import { processIngestBatch, type ProcessDeps } from '../../shared/services/ingest/process-batch.ts';
import { rememberSummaryClaims } from '../../shared/services/ingest/summary-claims.ts';
import { cachedVerifiers } from '../../shared/services/ingest/verifier-cache.ts';

export function processorDeps(config: ProcessorConfig): ProcessDeps {
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, config.aws.endpoints.dynamodb));
  const s3 = createS3Client(config.aws);
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
    verifiers: cachedVerifiers(secretCipherFromConfig(config.aws, config.secrets, 'pipelineId'), config.authCacheTtlSeconds, systemClock),
    events:
      config.eventsQueueUrl === undefined
        ? undefined
        : eventSink({
            directory: subscriptionDirectory(dynamoSubscriptionStore(dynamodb, config.tableName), {
              ttlMs: (config.subscriptionCacheSeconds ?? 10) * 1000,
              scope: subscriptionScope(config),
            }),
            queue: sqsEventsQueue(new SQSClient(clientOptions(config.aws, config.aws.endpoints.sqs)), config.eventsQueueUrl),
          }),
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
