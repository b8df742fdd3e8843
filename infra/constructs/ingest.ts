// The ingest queue between receiver and processor, its dead-letter queue and their alarms.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLAIMS_EXPIRY_DAYS } from './lake.ts';

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
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(CLAIMS_EXPIRY_DAYS),
    });

    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // AWS guidance for Lambda event sources: at least six times the function timeout, so a
      // batch still being retried by the poller is not handed out twice.
      visibilityTimeout: Duration.seconds(props.processorTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    this.dlqDepthAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueDepthAlarm', {
      alarmDescription:
        'Hooklake: webhooks failed processing 5 times and wait in the DLQ. Fix the cause, then redrive them to the ingest queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.oldestMessageAlarm = new cloudwatch.Alarm(this, 'OldestMessageAgeAlarm', {
      alarmDescription: 'Hooklake: the processor is not keeping up with the ingest queue (or is failing).',
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: props.oldestMessageAlarmAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Feeds the queue to the processor; it reports failed records instead of failing the batch. */
  connectProcessor(processor: lambda.IFunction, options: ProcessorSourceOptions): void {
    processor.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.maxBatchingWindow,
        reportBatchItemFailures: true,
      }),
    );
  }
}
