// The outbound half's queue and key: the events queue (new events and delivery retries) feeding
// the fan-out, its dead-letter queue and their alarms, and the KMS key for signing secrets.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives before an events-queue message is parked in the DLQ. */
export const EVENTS_MAX_RECEIVE_COUNT = 5;

/** Days a parked event stays in the DLQ; the `events/` payloads must outlive it (stack.ts). */
export const EVENTS_DLQ_RETENTION_DAYS = 14;

/** Longest SQS DelaySeconds, the longest hop a re-enqueued delivery retry can wait. */
export const SQS_MAX_DELAY = Duration.seconds(900);

export interface OutboundProps {
  /** Timeout of the fan-out Lambda; the queue's visibility timeout is six times this. */
  fanoutTimeout: Duration;
  /** Alarm when the oldest waiting message is older than this. Must exceed SQS_MAX_DELAY. */
  oldestMessageAlarmAge: Duration;
}

export interface FanoutSourceOptions {
  batchSize: number;
  maxBatchingWindow: Duration;
  /** Concurrent fan-out invocations this source may drive (2-1000). */
  maxConcurrency: number;
}

export class Outbound extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dlqDepthAlarm: cloudwatch.Alarm;
  readonly oldestMessageAlarm: cloudwatch.Alarm;
  readonly secretsKey: kms.Key;

  constructor(scope: Construct, id: string, props: OutboundProps) {
    super(scope, id);
    if (props.oldestMessageAlarmAge.toSeconds() <= SQS_MAX_DELAY.toSeconds()) {
      throw new Error('oldestMessageAlarmAge must be longer than the 900 s SQS delay, or normal retries would trip it');
    }

    // A parked message keeps its original enqueue time (standard queues), so the DLQ keeps
    // messages longer than the queue does; 14 days is the SQS maximum.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(EVENTS_DLQ_RETENTION_DAYS),
    });

    // Delivery retries are sent back to this queue as NEW messages with DelaySeconds (waits
    // longer than 900 s take several hops), never held invisible with ChangeMessageVisibility:
    // a held message would count towards maxReceiveCount and age past the alarm below. So a
    // message is received again only when the fan-out failed on it (error, timeout, or reported
    // as a batch item failure); after 5 such receives it is parked in the DLQ.
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      // AWS guidance for Lambda event sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(props.fanoutTimeout.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: EVENTS_MAX_RECEIVE_COUNT },
    });

    this.dlqDepthAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueDepthAlarm', {
      alarmDescription:
        'Hooklake: events or delivery jobs failed in the fan-out 5 times and wait in the events DLQ. Fix the cause, then redrive them to the events queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // The age counts from when a message was sent, also while it is delayed: a retry sent with
    // DelaySeconds=900 is already 15 minutes old when it first becomes visible. The threshold
    // (stack.ts: 30 min, twice the longest delay) therefore stays quiet on normal retries and
    // suspension waits, and fires only when the fan-out has stopped draining the queue (failing,
    // throttled, or far behind) for about a quarter of an hour.
    this.oldestMessageAlarm = new cloudwatch.Alarm(this, 'OldestMessageAgeAlarm', {
      alarmDescription:
        'Hooklake: the fan-out is not keeping up with the events queue (or is failing); retries are delayed at most 15 min, so older messages are stuck.',
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: props.oldestMessageAlarmAge.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Envelope for subscription signing secrets (a few dozen bytes: direct Encrypt/Decrypt, no
    // data keys). Retained: deleting it would make every stored secret unreadable.
    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Hooklake: encrypts outbound subscription signing secrets',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /**
   * Feeds the events queue to the fan-out: failed records are reported one by one, and
   * maxConcurrency caps the invocations a burst can start, so receivers see a bounded load.
   */
  connectFanout(fanout: lambda.IFunction, options: FanoutSourceOptions): void {
    fanout.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: options.batchSize,
        maxBatchingWindow: options.maxBatchingWindow,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }
}
