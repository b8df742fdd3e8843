// Where alarms go: one SNS topic that every Hooklake alarm notifies when it fires and when it
// clears, with an optional e-mail subscription (hooklake:alarmEmail). Anything else (chat, a
// pager, an HTTPS endpoint) subscribes to the topic itself (README "Alarms").
import { Aws } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmNotificationsProps {
  /** Subscribed to the topic by e-mail (AWS sends a confirmation message first). */
  email?: string | undefined;
  alarms: readonly cloudwatch.Alarm[];
}

export class AlarmNotifications extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmNotificationsProps) {
    super(scope, id);
    // Not KMS-encrypted: notifications carry alarm names, states and metric values, no webhook
    // data; CloudWatch cannot publish to a topic under the AWS managed SNS key, and a key of its
    // own for this alone would cost $1 a month.
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'Hooklake alarms', enforceSSL: true });
    // The TLS-only statement makes this the topic's whole policy, so CloudWatch needs its own
    // allow: alarms of this account and region only (no confused deputy).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);
    for (const alarm of props.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
