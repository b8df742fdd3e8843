// The outbound half of HooklakeStack: events queue and DLQ, alarms, fan-out function and its event
// source, signing-secrets key, environment, who may use the key and the queue, and outputs. One unbundled
// synth for the file (stack.test.ts bundles and loads every handler, the fan-out included); a
// second, unbundled one for non-default context values.
import { App, CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import type { HooklakeFunction } from '../../infra/constructs/function.ts';
import { Outbound } from '../../infra/constructs/outbound.ts';
import { CONTEXT_KEYS, DEFAULTS, HooklakeStack, propsFromContext } from '../../infra/stack.ts';
import { ENV } from '../../shared/config.ts';
import { flatten, type Json, permissionsOf as cfnPermissionsOf, resourcesOfType as cfnResourcesOfType } from './cfn.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let stack: HooklakeStack;
let template: Template;
let resources: Record<string, Json>;
/** Logical id of an L1 resource, or of an L2 construct's main resource. */
const id = (construct: IConstruct) =>
  stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);
const permissionsOf = (fn: HooklakeFunction) => cfnPermissionsOf(resources, id(fn.role));
const resourcesOfType = (type: string) => cfnResourcesOfType(resources, type);

beforeAll(() => {
  const app = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING } });
  stack = new HooklakeStack(app, 'HooklakeStack');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const eventsQueue = () => `<${id(stack.outbound.queue)}.Arn>`;
const secretsKey = () => `<${id(stack.outbound.secretsKey)}.Arn>`;
const CONSUME = ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl'];

describe('events queue', () => {
  it('is encrypted, TLS-only and redrives to a DLQ after 5 receives', () => {
    const queue = resources[id(stack.outbound.queue)].Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.outbound.deadLetterQueue), 'Arn'] },
      maxReceiveCount: 5,
    });
    for (const queueId of [id(stack.outbound.queue), id(stack.outbound.deadLetterQueue)]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('keeps dead letters encrypted for 14 days, longer than the queue keeps messages', () => {
    const dlq = resources[id(stack.outbound.deadLetterQueue)].Properties;
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 86_400);
    expect(dlq.RedrivePolicy).toBeUndefined();
    expect(resources[id(stack.outbound.queue)].Properties.MessageRetentionPeriod).toBeLessThan(dlq.MessageRetentionPeriod);
  });

  it('hides messages for at least six fan-out timeouts', () => {
    const timeout = resources[id(stack.fanout.fn)].Properties.Timeout;
    expect(resources[id(stack.outbound.queue)].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('alarms on any message in the events DLQ', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.outbound.deadLetterQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on an oldest message older than 30 min, above the 900 s retry delay', () => {
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm').filter(
      ([, alarm]) =>
        alarm.Properties.MetricName === 'ApproximateAgeOfOldestMessage' &&
        alarm.Properties.Dimensions[0].Value['Fn::GetAtt'][0] === id(stack.outbound.queue),
    );
    expect(alarms).toHaveLength(1);
    const [, alarm] = alarms[0]!;
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm.Properties.Threshold).toBeGreaterThan(900);
  });

  it('refuses an age alarm that normal (delayed) retries would trip', () => {
    const scratch = new Stack(new App(), 'Scratch');
    expect(
      () => new Outbound(scratch, 'Outbound', { fanoutTimeout: Duration.seconds(60), oldestMessageAlarmAge: Duration.minutes(15) }),
    ).toThrow(/900 s/);
  });
});

describe('fan-out function', () => {
  it('runs functions/fanout on nodejs24.x arm64, 512 MB, 60 s, with its own role and log group', () => {
    const fn = resources[id(stack.fanout.fn)].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
      Role: { 'Fn::GetAtt': [id(stack.fanout.role), 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: id(stack.fanout.logGroup) } },
    });
    expect(fn.TracingConfig).toBeUndefined();
    expect(resources[id(stack.fanout.logGroup)].Properties.RetentionInDays).toBe(30);
    const otherRoles = [stack.receiver, stack.processor, stack.api].map((f) => id(f.role));
    expect(otherRoles).not.toContain(id(stack.fanout.role));
    // The entry is functions/fanout/handler.ts, bundled like the others (stack.test.ts loads it).
    expect(stack.fanout.fn.node.path).toBe('HooklakeStack/Fanout/Function');
  });

  it('gets exactly its environment, named by ENV', () => {
    expect(resources[id(stack.fanout.fn)].Properties.Environment.Variables).toEqual({
      [ENV.eventsQueueUrl]: { Ref: id(stack.outbound.queue) },
      [ENV.tableName]: { Ref: id(stack.stateTable.table) },
      [ENV.secretsKmsKeyId]: { 'Fn::GetAtt': [id(stack.outbound.secretsKey), 'Arn'] },
      [ENV.deliveryTimeoutMs]: '5000',
      [ENV.deliveryRetentionDays]: '30',
      [ENV.fanoutConcurrency]: '16',
      [ENV.allowPrivateTargets]: '0',
    });
  });

  it('is fed by the events queue in batches of 10, 1 s window, partial failures, at most 4 at once (hooklake:fanoutMaxConcurrency)', () => {
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => m.Properties.FunctionName.Ref === id(stack.fanout.fn),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]![1].Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [id(stack.outbound.queue), 'Arn'] },
      FunctionName: { Ref: id(stack.fanout.fn) },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it('is the only consumer of the events queue', () => {
    const sources = resourcesOfType('AWS::Lambda::EventSourceMapping')
      .filter(([, m]) => m.Properties.EventSourceArn['Fn::GetAtt'][0] === id(stack.outbound.queue))
      .map(([, m]) => m.Properties.FunctionName.Ref);
    expect(sources).toEqual([id(stack.fanout.fn)]);
  });
});

describe('signing secrets key', () => {
  it('rotates, is retained, and is handed to the api, the fan-out and the processor as its ARN', () => {
    const key = resources[id(stack.outbound.secretsKey)];
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    const arn = { 'Fn::GetAtt': [id(stack.outbound.secretsKey), 'Arn'] };
    for (const fn of [stack.api, stack.fanout, stack.processor]) {
      expect(resources[id(fn.fn)].Properties.Environment.Variables[ENV.secretsKmsKeyId]).toEqual(arn);
    }
    resourcesOfType('AWS::KMS::Key').forEach(([keyId]) => expect(keyId).toBe(id(stack.outbound.secretsKey)));
  });

  it('key policy delegates to IAM (account root only), so the roles below are the whole story', () => {
    const statements = resources[id(stack.outbound.secretsKey)].Properties.KeyPolicy.Statement;
    expect(statements).toHaveLength(1);
    expect(flatten(statements[0].Principal.AWS)).toMatch(/^arn:<AWS::Partition>:iam::<AWS::AccountId>:root$/);
  });
});

describe('state table', () => {
  it('expires items on expiresAt (delivery log and event TTL)', () => {
    expect(resources[id(stack.stateTable.table)].Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
  });
});

describe('IAM for the outbound half', () => {
  // Each role's exact list: stack.test.ts ("IAM: each role allows exactly what its code calls").
  it("only the fan-out, the api and the processor use the secrets key, only the api encrypts, always under a subscription's, a sync's or a pipeline's context", () => {
    const roles = [stack.receiver, stack.processor, stack.api, stack.fanout];
    const keyGrants = roles.flatMap((fn) =>
      permissionsOf(fn)
        .filter((p) => p.includes(secretsKey()))
        .map((p) => `${fn.node.id} ${p}`),
    );
    // The named context key with a matching value, and no other key (kms:EncryptionContextKeys).
    const only = (key: string, pattern: string) =>
      `if ForAllValues:StringEquals kms:EncryptionContextKeys=${key} & StringLike kms:EncryptionContext:${key}=${pattern}`;
    const context = only('subscriptionId', 'sub_*');
    expect(keyGrants.sort()).toEqual(
      [
        `Fanout kms:Decrypt ${secretsKey()} ${context}`,
        `Fanout kms:Decrypt ${secretsKey()} ${only('subscriptionId', 'syn_*')}`,
        `ManagementApi kms:Decrypt ${secretsKey()} ${context}`,
        `ManagementApi kms:Encrypt ${secretsKey()} ${context}`,
        `ManagementApi kms:Encrypt ${secretsKey()} ${only('subscriptionId', 'syn_*')}`, // a new sync's secret
        `ManagementApi kms:Encrypt ${secretsKey()} ${only('pipelineId', '*')}`,
        `Processor kms:Decrypt ${secretsKey()} ${only('pipelineId', '*')}`,
      ].sort(),
    );
  });

  it('only the fan-out consumes the events queue; the api and the processor only publish to it', () => {
    const roles = [stack.receiver, stack.processor, stack.api, stack.fanout];
    const queueGrants = Object.fromEntries(
      roles.map((fn) => [fn.node.id, permissionsOf(fn).filter((p) => p.includes(eventsQueue())).map((p) => p.split(' ')[0])]),
    );
    expect(queueGrants).toEqual({
      Receiver: [],
      Processor: ['sqs:SendMessage'],
      ManagementApi: ['sqs:SendMessage'],
      Fanout: [...CONSUME.map((action) => `sqs:${action}`), 'sqs:SendMessage'].sort(),
    });
  });
});

describe('outputs', () => {
  it('exports the events queue, its DLQ and the secrets key', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.EventsQueueUrl.Value).toEqual({ Ref: id(stack.outbound.queue) });
    expect(outputs.EventsDeadLetterQueueUrl.Value).toEqual({ Ref: id(stack.outbound.deadLetterQueue) });
    expect(outputs.SecretsKeyArn.Value).toEqual({ 'Fn::GetAtt': [id(stack.outbound.secretsKey), 'Arn'] });
  });
});

describe('outbound configuration', () => {
  it('cdk.json carries the defaults, and context keys are read as strings (-c) or numbers', () => {
    const context = cdkJsonContext();
    expect(context[CONTEXT_KEYS.deliveryTimeoutMs]).toBe(DEFAULTS.deliveryTimeoutMs);
    expect(context[CONTEXT_KEYS.deliveryRetentionDays]).toBe(DEFAULTS.deliveryRetentionDays);
    expect(DEFAULTS).toMatchObject({ deliveryTimeoutMs: 5000, deliveryRetentionDays: 30, allowPrivateTargets: false });
    const fromCli = new App({
      context: { 'hooklake:deliveryTimeoutMs': '2500', 'hooklake:deliveryRetentionDays': 60, 'hooklake:allowPrivateTargets': '1' },
    });
    expect(propsFromContext(fromCli.node)).toEqual({ deliveryTimeoutMs: 2500, deliveryRetentionDays: 60, allowPrivateTargets: true });
    expect(() => propsFromContext(new App({ context: { 'hooklake:deliveryTimeoutMs': '5s' } }).node)).toThrow(/deliveryTimeoutMs/);
  });

  it('refuses a delivery timeout the api cannot wait for, and a retention shorter than the DLQ keeps events', () => {
    const build = (props: object) => () => new HooklakeStack(new App({ context: NO_BUNDLING }), 'Bad', props);
    expect(build({ deliveryTimeoutMs: 25_000 })).toThrow(/deliveryTimeoutMs/);
    expect(build({ deliveryTimeoutMs: 50 })).toThrow(/deliveryTimeoutMs/);
    expect(build({ deliveryRetentionDays: 7 })).toThrow(/deliveryRetentionDays.*14/);
  });

  it('applies non-default timeout, retention and private targets to both functions', () => {
    const other = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING } });
    const custom = new HooklakeStack(other, 'Custom', { deliveryTimeoutMs: 2500, deliveryRetentionDays: 60, allowPrivateTargets: true });
    const t = Template.fromStack(custom).toJSON().Resources;
    const envOf = (fn: HooklakeFunction) =>
      t[custom.getLogicalId(fn.fn.node.defaultChild as CfnElement)].Properties.Environment.Variables;
    expect(envOf(custom.fanout)).toMatchObject({
      [ENV.deliveryTimeoutMs]: '2500',
      [ENV.deliveryRetentionDays]: '60',
      [ENV.allowPrivateTargets]: '1',
    });
    expect(envOf(custom.api)).toMatchObject({ [ENV.deliveryTimeoutMs]: '2500', [ENV.allowPrivateTargets]: '1' });
  });
});
