// The ingest queue between receiver and processor, its dead-letter queue and their alarms.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLAIMS_EXPIRY_DAYS } from './lake.ts';
import { createMonitoredQueue } from './monitored-queue.ts';

/** Deliveries before a message is parked in the DLQ. */
export const MAX_RECEIVE_COUNT = 5;

export interface IngestProps {
  /** Timeout of the processor Lambda; the queue's visibility timeout is six times this. */
  processorTimeout: Duration;
  /** Alarm when the oldest waiting message is older than this. */
  oldestMessageAlarmAge: Duration;
}

export interface ProcessorSourceOptions {
  batchSize: number;
  maxBatchingWindow: Duration;
  /** Concurrent processor invocations this source may drive (2-1000). */
  maxConcurrency: number;
}

export class Ingest extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dlqDepthAlarm: cloudwatch.Alarm;
  readonly oldestMessageAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);

    // For standard queues a message's retention counts from its first enqueue, also in the DLQ.
    // Keeping it within the claims/ lifecycle means a parked message never outlives the S3
    // body it points at.
    const monitored = createMonitoredQueue(this, {
      consumerTimeout: props.processorTimeout,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      deadLetterRetention: Duration.days(CLAIMS_EXPIRY_DAYS),
      deadLetterAlarmDescription:
        'Hooklake: webhooks failed processing 5 times and wait in the DLQ. Fix the cause, then redrive them to the ingest queue.',
      oldestMessageAlarmAge: props.oldestMessageAlarmAge,
      oldestMessageAlarmDescription: 'Hooklake: the processor is not keeping up with the ingest queue (or is failing).',
    });
    this.queue = monitored.queue;
    this.deadLetterQueue = monitored.deadLetterQueue;
    this.dlqDepthAlarm = monitored.dlqDepthAlarm;
    this.oldestMessageAlarm = monitored.oldestMessageAlarm;
  }

  /**
   * Feeds the queue to the processor; it reports failed records instead of failing the batch.
   * maxConcurrency caps the invocations the event source starts. The cap lives here rather than
   * in reserved concurrency: a function throttled by its reservation still has batches pulled
   * for it, which go back to the queue and count towards maxReceiveCount (a flood would push
   * good webhooks into the DLQ); an event source at its cap simply stops pulling.
   */
  connectProcessor(processor: lambda.IFunction, options: ProcessorSourceOptions): void {
    processor.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.maxBatchingWindow,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
