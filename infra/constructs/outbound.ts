// The outbound half's queue and key: the events queue (new events and delivery retries) feeding
// the fan-out, its dead-letter queue and their alarms, and the KMS key for signing secrets.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { createMonitoredQueue } from './monitored-queue.ts';

/** Receives before an events-queue message is parked in the DLQ. */
export const EVENTS_MAX_RECEIVE_COUNT = 5;

/** Days a parked event stays in the DLQ; the events and deliveries it names (DynamoDB TTL) must outlive it (stack.ts). */
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

    // Delivery retries are sent back to this queue as NEW messages with DelaySeconds (waits
    // longer than 900 s take several hops), never held invisible with ChangeMessageVisibility:
    // a held message would count towards maxReceiveCount and age past the alarm below. So a
    // message is received again only when the fan-out failed on it (error, timeout, or reported
    // as a batch item failure); after 5 such receives it is parked in the DLQ, which keeps it
    // longer than the queue does (a parked message keeps its original enqueue time).
    //
    // The age alarm counts from when a message was sent, also while it is delayed: a retry sent
    // with DelaySeconds=900 is already 15 minutes old when it first becomes visible. The
    // threshold (stack.ts: 30 min, twice the longest delay) therefore stays quiet on normal
    // retries and suspension waits, and fires only when the fan-out has stopped draining the
    // queue (failing, throttled, or far behind) for about a quarter of an hour.
    const monitored = createMonitoredQueue(this, {
      consumerTimeout: props.fanoutTimeout,
      maxReceiveCount: EVENTS_MAX_RECEIVE_COUNT,
      deadLetterRetention: Duration.days(EVENTS_DLQ_RETENTION_DAYS),
      deadLetterAlarmDescription:
        'Hooklake: events or delivery jobs failed in the fan-out 5 times and wait in the events DLQ. Fix the cause, then redrive them to the events queue.',
      oldestMessageAlarmAge: props.oldestMessageAlarmAge,
      oldestMessageAlarmDescription:
        'Hooklake: the fan-out is not keeping up with the events queue (or is failing); retries are delayed at most 15 min, so older messages are stuck.',
    });
    this.queue = monitored.queue;
    this.deadLetterQueue = monitored.deadLetterQueue;
    this.dlqDepthAlarm = monitored.dlqDepthAlarm;
    this.oldestMessageAlarm = monitored.oldestMessageAlarm;

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
