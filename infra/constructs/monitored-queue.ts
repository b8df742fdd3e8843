// A Lambda-fed SQS queue with its dead-letter queue and the two alarms every such queue needs:
// something parked in the DLQ, and the oldest waiting message getting too old. Created under the
// caller's scope (ids `Queue`, `DeadLetterQueue`, `DeadLetterQueueDepthAlarm`,
// `OldestMessageAgeAlarm`), so callers keep stable logical ids.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface MonitoredQueueProps {
  /** Timeout of the consuming Lambda; the visibility timeout is six times this (AWS guidance
   *  for Lambda event sources, so a batch still being retried is not handed out twice). */
  consumerTimeout: Duration;
  maxReceiveCount: number;
  /** How long a parked message stays in the DLQ. */
  deadLetterRetention: Duration;
  deadLetterAlarmDescription: string;
  oldestMessageAlarmAge: Duration;
  oldestMessageAlarmDescription: string;
}

export interface MonitoredQueue {
  queue: sqs.Queue;
  deadLetterQueue: sqs.Queue;
  dlqDepthAlarm: cloudwatch.Alarm;
  oldestMessageAlarm: cloudwatch.Alarm;
}

export function createMonitoredQueue(scope: Construct, props: MonitoredQueueProps): MonitoredQueue {
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: props.deadLetterRetention,
  });
  const queue = new sqs.Queue(scope, 'Queue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(4),
    visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
  });
  const dlqDepthAlarm = new cloudwatch.Alarm(scope, 'DeadLetterQueueDepthAlarm', {
    alarmDescription: props.deadLetterAlarmDescription,
    metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const oldestMessageAlarm = new cloudwatch.Alarm(scope, 'OldestMessageAgeAlarm', {
    alarmDescription: props.oldestMessageAlarmDescription,
    metric: queue.metricApproximateAgeOfOldestMessage({
      period: Duration.minutes(1),
      statistic: cloudwatch.Stats.MAXIMUM,
    }),
    threshold: props.oldestMessageAlarmAge.toSeconds(),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { queue, deadLetterQueue, dlqDepthAlarm, oldestMessageAlarm };
}
