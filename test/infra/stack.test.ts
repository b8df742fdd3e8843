// HooklakeStack, resource by resource and permission by permission, unbundled (the bundles are
// built and run in bundles.test.ts); a second synth for non-default props.
import { readFileSync } from 'node:fs';
import { App, CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import type { HooklakeFunction } from '../../infra/constructs/function.ts';
import { DELIVERY_DEDUP_QUERY, DELIVERY_DEDUP_QUERY_NAME } from '../../infra/constructs/analytics.ts';
import {
  CONTEXT_KEYS,
  DEFAULTS,
  HooklakeStack,
  PROCESSOR_READ_PARTITIONS,
  PROCESSOR_WRITE_PARTITIONS,
  SUBSCRIPTION_ID_PATTERN,
  propsFromContext,
} from '../../infra/stack.ts';
import { TOKEN_PK, pipelineKey, rejectionCountsKey, tokenKey } from '../../shared/adapters/dynamodb/table-items.ts';
import { ENV } from '../../shared/config.ts';
import { SUBSCRIPTION_ID } from '../../shared/domain/delivery/destinations.ts';
import {
  asArray,
  conditionText,
  flatten,
  type Json,
  permissionsOf as cfnPermissionsOf,
  resourcesOfType as cfnResourcesOfType,
} from './cfn.ts';
import { subscriptionKey } from '../../shared/adapters/dynamodb/subscription-store.ts';

let app: App;
let stack: HooklakeStack;
let template: Template;
let resources: Record<string, Json>;
/** Logical id of an L1 resource, or of an L2 construct's main resource. */
const id = (construct: IConstruct) =>
  stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);

beforeAll(() => {
  app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  stack = new HooklakeStack(app, 'HooklakeStack');
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
});

const permissionsOf = (roleLogicalId: string) => cfnPermissionsOf(resources, roleLogicalId);
const resourcesOfType = (type: string) => cfnResourcesOfType(resources, type);

describe('lambda functions', () => {
  it('bundles five handlers for nodejs24.x, on arm64 but the sync function (x86_64, for its DuckDB binding)', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions).toHaveLength(5);
    for (const [logicalId, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual([logicalId === id(stack.sync.fn) ? 'x86_64' : 'arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.TracingConfig).toBeUndefined();
    }
  });

  it('passes each function exactly its environment, named by ENV', () => {
    const env = (fn: IConstruct) => resources[id(fn)].Properties.Environment.Variables as Record<string, Json>;
    const queue = id(stack.ingest.queue);
    const bucket = id(stack.lake.bucket);
    const table = id(stack.stateTable.table);
    const eventsQueue = id(stack.outbound.queue);
    const secretsKey = id(stack.outbound.secretsKey);
    expect(env(stack.receiver.fn)).toEqual({
      [ENV.ingestQueueUrl]: { Ref: queue },
      [ENV.lakeBucket]: { Ref: bucket },
    });
    expect(env(stack.processor.fn)).toEqual({
      [ENV.lakeBucket]: { Ref: bucket },
      [ENV.tableName]: { Ref: table },
      [ENV.eventsQueueUrl]: { Ref: eventsQueue },
      [ENV.ingestMaxReceiveCount]: '5', // the ingest queue's redrive maxReceiveCount
      [ENV.secretsKmsKeyId]: { 'Fn::GetAtt': [secretsKey, 'Arn'] }, // pipelines' verification secrets
    });
    expect(env(stack.api.fn)).toEqual({
      [ENV.tableName]: { Ref: table },
      [ENV.lakeBucket]: { Ref: bucket },
      [ENV.allowPrivateTargets]: '0',
      [ENV.eventsQueueUrl]: { Ref: eventsQueue },
      [ENV.syncQueueUrl]: { Ref: id(stack.syncs.queue) },
      [ENV.secretsKmsKeyId]: { 'Fn::GetAtt': [secretsKey, 'Arn'] },
      [ENV.deliveryTimeoutMs]: '5000',
      [ENV.deliveryRetentionDays]: '30',
      [ENV.glueDatabase]: 'hooklake',
    });
    // The fan-out's environment: outbound.test.ts.
  });

  it('reserves no concurrency by default (a reservation fails on an account whose quota is 10)', () => {
    for (const fn of [stack.receiver, stack.processor, stack.api, stack.fanout, stack.sync]) {
      expect(resources[id(fn.fn)].Properties.ReservedConcurrentExecutions, fn.node.id).toBeUndefined();
    }
  });

  it("bounds every queue consumer by its event source, within a new account's 10, leaving 2 for the receiver and the api", () => {
    const caps = resourcesOfType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties.ScalingConfig.MaximumConcurrency as number);
    expect(caps).toHaveLength(3);
    expect(caps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10 - 2);
  });

  it('logs each function to its own log group with a retention', () => {
    for (const fn of [stack.receiver, stack.processor, stack.api, stack.fanout, stack.sync]) {
      const props = resources[id(fn.fn)].Properties;
      expect(props.LoggingConfig.LogGroup).toEqual({ Ref: id(fn.logGroup) });
      expect(resources[id(fn.logGroup)].Properties.RetentionInDays).toBe(30);
    }
  });

  it("drops Lambda's per-invocation platform lines of the receiver only (JSON logs, system level WARN), keeping its own", () => {
    expect(resources[id(stack.receiver.fn)].Properties.LoggingConfig).toEqual({
      LogGroup: { Ref: id(stack.receiver.logGroup) },
      LogFormat: 'JSON',
      SystemLogLevel: 'WARN',
      ApplicationLogLevel: 'INFO',
    });
    for (const fn of [stack.processor, stack.api, stack.fanout, stack.sync]) expect(resources[id(fn.fn)].Properties.LoggingConfig.LogFormat).toBeUndefined();
  });
});

describe('ingest queue', () => {
  it('is encrypted, TLS-only and redrives to a DLQ after 5 receives', () => {
    const queue = resources[id(stack.ingest.queue)].Properties;
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.ingest.deadLetterQueue), 'Arn'] },
      maxReceiveCount: 5,
    });
    expect(resources[id(stack.ingest.deadLetterQueue)].Properties.SqsManagedSseEnabled).toBe(true);
    for (const queueId of [id(stack.ingest.queue), id(stack.ingest.deadLetterQueue)]) {
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

  it('updates the processor before the receiver, so every message a new receiver writes meets a processor that reads it', () => {
    expect(resources[id(stack.receiver.fn)].DependsOn).toEqual(expect.arrayContaining([id(stack.processor.fn)]));
    expect(resources[id(stack.processor.fn)].DependsOn ?? []).not.toContain(id(stack.receiver.fn));
  });

  it('hides messages for at least six processor timeouts', () => {
    const timeout = resources[id(stack.processor.fn)].Properties.Timeout;
    expect(resources[id(stack.ingest.queue)].Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it('feeds the processor in batches of 100 with partial batch failures, at most 2 invocations at once', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3); // ingest -> processor, events -> fanout, sync queue -> sync
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(stack.ingest.queue), 'Arn'] },
      FunctionName: { Ref: id(stack.processor.fn) },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // The cap is the event source's, not a reservation: a reservation would throttle invocations
    // whose batches then return to the queue and count towards the DLQ.
    expect(resources[id(stack.processor.fn)].Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('alarms on any message in the DLQ and on an old oldest message', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.ingest.deadLetterQueue), 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack.ingest.queue), 'QueueName'] } }],
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('state table', () => {
  it('is pk/sk strings, on demand, PITR, TTL on expiresAt, protected and retained', () => {
    const table = resources[id(stack.stateTable.table)];
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('lake bucket', () => {
  it('every bucket is encrypted, private, TLS-only and retained', () => {
    const buckets = resourcesOfType('AWS::S3::Bucket');
    expect(buckets).toHaveLength(3); // lake, access logs, Athena results
    for (const [bucketId, bucket] of buckets) {
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('expires quarantine/ and claims/ after 7 days and logs access', () => {
    const lake = resources[id(stack.lake.bucket)].Properties;
    const rules = lake.LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'quarantine/', ExpirationInDays: 7, Status: 'Enabled' }),
        expect.objectContaining({ Prefix: 'claims/', ExpirationInDays: 7, Status: 'Enabled' }),
      ]),
    );
    // The lake itself (webhooks/) never expires; nothing else is kept in the bucket.
    expect(rules.filter((rule: Json) => rule.ExpirationInDays !== undefined).map((rule: Json) => rule.Prefix).sort()).toEqual([
      'claims/',
      'quarantine/',
    ]);
    expect(lake.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: id(stack.lake.accessLogsBucket) });
  });
});

describe('Glue and Athena', () => {
  it("declares the webhooks table as Parquet with Kondado's four columns, then the __hl_* request columns and the provider delivery id", () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'hooklake' } });
    const table = resources[id(stack.analytics.table)].Properties;
    expect(table.DatabaseName).toEqual({ Ref: id(stack.analytics.database) });
    const input = table.TableInput;
    expect(input.Name).toBe('webhooks');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.StorageDescriptor.Columns).toEqual([
      { Name: '__kdd_request_id', Type: 'string' },
      { Name: '__kdd_request_unix_timestamp', Type: 'double' },
      { Name: '__kdd_requester_key', Type: 'string' },
      { Name: '__kdd_request_body', Type: 'string' },
      { Name: '__hl_request_method', Type: 'string' },
      { Name: '__hl_request_headers', Type: 'string' },
      { Name: '__hl_request_query', Type: 'string' },
      { Name: '__hl_provider_delivery_id', Type: 'string' },
    ]);
    expect(input.PartitionKeys).toEqual([
      { Name: 'pipeline_id', Type: 'string' },
      { Name: 'dt', Type: 'string' },
    ]);
    expect(input.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(flatten(input.StorageDescriptor.Location)).toBe(`s3://<${id(stack.lake.bucket)}>/webhooks/`);
  });

  it('saves the delivery dedup query in the workgroup, over the Glue table, filtered by one pipeline id', () => {
    const query = resources[id(stack.analytics.deliveryDedupQuery)];
    expect(query.Type).toBe('AWS::Athena::NamedQuery');
    expect(query.Properties.Name).toBe(DELIVERY_DEDUP_QUERY_NAME);
    expect(query.Properties.Database).toBe('hooklake');
    expect(query.Properties.WorkGroup).toEqual({ Ref: id(stack.analytics.workGroup) });
    expect(query.Properties.QueryString).toBe(DELIVERY_DEDUP_QUERY);
    expect(DELIVERY_DEDUP_QUERY).toContain("from webhooks where pipeline_id = '1'");
    expect(DELIVERY_DEDUP_QUERY).toContain('partition by pipeline_id, coalesce(');
  });

  it('projects pipeline_id (injected) and dt (date up to NOW) onto the processor layout', () => {
    const parameters = resources[id(stack.analytics.table)].Properties.TableInput.Parameters;
    const { 'storage.location.template': locationTemplate, ...rest } = parameters;
    expect(rest).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.pipeline_id.type': 'injected',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    expect(flatten(locationTemplate)).toBe(
      `s3://<${id(stack.lake.bucket)}>/webhooks/pipeline_id=\${pipeline_id}/dt=\${dt}/`,
    );
  });

  it('has a workgroup that enforces an encrypted result location', () => {
    const workGroup = resources[id(stack.analytics.workGroup)].Properties;
    expect(workGroup.Name).toBe('hooklake');
    expect(workGroup.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
    expect(flatten(workGroup.WorkGroupConfiguration.ResultConfiguration.OutputLocation)).toBe(
      `s3://<${id(stack.analytics.resultsBucket)}>/results/`,
    );
    expect(workGroup.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration).toEqual({
      EncryptionOption: 'SSE_S3',
    });
  });
});

describe('HTTP API', () => {
  const integrationTarget = (routeKey: string) => {
    const [, route] = resourcesOfType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey)!;
    const integrationId = flatten(route.Properties.Target).replace(/^integrations\/<(.*)>$/, '$1');
    return resources[integrationId].Properties;
  };

  it('routes ANY / to the receiver, ANY /v4/{proxy+} and GET /console, /console/{proxy+} to the api, payload 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    expect(resourcesOfType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort()).toEqual([
      'ANY /',
      'ANY /v4/{proxy+}',
      'GET /console',
      'GET /console/{proxy+}',
    ]);
    for (const consoleRoute of ['GET /console', 'GET /console/{proxy+}']) {
      expect(integrationTarget(consoleRoute)).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': [id(stack.api.fn), 'Arn'] } });
    }
    expect(integrationTarget('ANY /')).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [id(stack.receiver.fn), 'Arn'] },
    });
    expect(integrationTarget('ANY /v4/{proxy+}')).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [id(stack.api.fn), 'Arn'] },
    });
  });

  it('throttles the ingest route and the management API separately (500/1000 and 50/100 req/s; the console gets the stage default, the management limits), after every route exists', () => {
    const stages = resourcesOfType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    const [, stage] = stages[0]!;
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.RouteSettings).toEqual({
      'ANY /': { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      'ANY /v4/{proxy+}': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    // A route added later without settings of its own gets the stricter (management) limits.
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    // CloudFormation refuses route settings that name a route it has not created yet.
    const routeIds = resourcesOfType('AWS::ApiGatewayV2::Route').map(([routeId]) => routeId);
    expect(routeIds).toHaveLength(4);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('writes access logs without query strings', () => {
    const [, stage] = resourcesOfType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties.AutoDeploy).toBe(true);
    const format: string = stage.Properties.AccessLogSettings.Format;
    expect(JSON.parse(format)).toHaveProperty('requestId', '$context.requestId');
    expect(format).not.toMatch(/querystring|rawQueryString|requestOverride|\$input/i);
  });
});

describe('front door: hooklake:frontDoor=functionUrl', () => {
  let urlStack: HooklakeStack;
  let urlResources: Record<string, Json>;
  let urlTemplate: Template;
  const urlId = (construct: IConstruct) => urlStack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);
  const ofType = (type: string) => cfnResourcesOfType(urlResources, type);

  beforeAll(() => {
    const other = new App({
      context: {
        ...cdkJsonContext(),
        'aws:cdk:bundling-stacks': [],
        'hooklake:frontDoor': 'functionUrl',
        'hooklake:lambdaConcurrencyQuota': '1000',
        'hooklake:receiverReservedConcurrency': '50',
      },
    });
    urlStack = new HooklakeStack(other, 'Url', propsFromContext(other.node));
    urlTemplate = Template.fromStack(urlStack);
    urlResources = urlTemplate.toJSON().Resources;
  });

  it('gives the receiver a public function URL (auth NONE, buffered), invocable through that URL only', () => {
    const urls = ofType('AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    expect(urls[0]![1].Properties).toEqual({ AuthType: 'NONE', InvokeMode: 'BUFFERED', TargetFunctionArn: { 'Fn::GetAtt': [urlId(urlStack.receiver.fn), 'Arn'] } });
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === '*').map(([, p]) => p.Properties);
    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE', FunctionName: { 'Fn::GetAtt': [urlId(urlStack.receiver.fn), 'Arn'] } }),
        expect.objectContaining({ Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true, FunctionName: { 'Fn::GetAtt': [urlId(urlStack.receiver.fn), 'Arn'] } }),
      ]),
    );
    // No other function is public.
    expect(permissions).toHaveLength(2);
  });

  it('keeps /v4/ and the console on the HTTP API, with no ANY / route and no ingest throttle', () => {
    expect(ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort()).toEqual(['ANY /v4/{proxy+}', 'GET /console', 'GET /console/{proxy+}']);
    const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties.RouteSettings).toEqual({ 'ANY /v4/{proxy+}': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    const integrations = ofType('AWS::ApiGatewayV2::Integration').map(([, i]) => flatten(i.Properties.IntegrationUri));
    expect(integrations.some((uri) => uri.includes(urlId(urlStack.receiver.fn)))).toBe(false);
  });

  it('bounds the receiver by its reservation, and outputs the function URL as the inbound URL', () => {
    expect(urlResources[urlId(urlStack.receiver.fn)].Properties.ReservedConcurrentExecutions).toBe(50);
    const outputs = urlTemplate.toJSON().Outputs;
    expect(outputs.InboundUrl.Value).toEqual({ 'Fn::GetAtt': [urlId(urlStack.receiverUrl!), 'FunctionUrl'] });
    expect(flatten(outputs.ApiUrl.Value)).toMatch(/execute-api/);
  });

  it('warns at synth when the function URL has no reservation to bound a flood', () => {
    const other = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], 'hooklake:frontDoor': 'functionUrl' } });
    const unbounded = new HooklakeStack(other, 'Unbounded', propsFromContext(other.node));
    const warnings = Annotations.fromStack(unbounded).findWarning('*', Match.stringLikeRegexp('hooklake:receiverReservedConcurrency is 0'));
    expect(warnings).toHaveLength(1);
    expect(Annotations.fromStack(urlStack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('IAM: each role allows exactly what its code calls', () => {
  // The calls behind each list: functions/<name>/app.ts and the adapters it builds (the
  // DynamoDB, S3, SQS and KMS commands they send). An extra grant, a missing condition or a
  // grant to code that does not exist fails these. SendMessageBatch needs sqs:SendMessage.
  const roleId = (fn: HooklakeFunction) => id(fn.role);
  const logWrites = (fn: HooklakeFunction) => [
    `logs:CreateLogStream <${id(fn.logGroup)}.Arn>`,
    `logs:PutLogEvents <${id(fn.logGroup)}.Arn>`,
  ];
  /** What the SQS event source (CDK's SqsEventSource) grants its function on the queue. */
  const consume = (queueArn: string) =>
    ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl'].map(
      (action) => `sqs:${action} ${queueArn}`,
    );
  const lake = () => `<${id(stack.lake.bucket)}.Arn>`;
  const table = () => `<${id(stack.stateTable.table)}.Arn>`;
  const ingestQueue = () => `<${id(stack.ingest.queue)}.Arn>`;
  const eventsQueue = () => `<${id(stack.outbound.queue)}.Arn>`;
  const secretsKey = () => `<${id(stack.outbound.secretsKey)}.Arn>`;
  /** The context key with a value like the pattern, and no other key. */
  const only = (key: string, pattern: string) =>
    `if ForAllValues:StringEquals kms:EncryptionContextKeys=${key} & StringLike kms:EncryptionContext:${key}=${pattern}`;
  const SUBSCRIPTION_CONTEXT = only('subscriptionId', 'sub_*');
  const PIPELINE_CONTEXT = only('pipelineId', '*');
  /** IAM StringLike: `*` any run of characters, `?` one, everything else literal. */
  const likePattern = (like: string) =>
    new RegExp(`^${like.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);

  it('receiver: SendMessage to the ingest queue and PutObject under claims/, nothing else', () => {
    expect(permissionsOf(roleId(stack.receiver))).toEqual(
      [...logWrites(stack.receiver), `sqs:SendMessage ${ingestQueue()}`, `s3:PutObject ${lake()}/claims/*`].sort(),
    );
  });

  it('processor: consume ingest, read claims/, write webhooks/ and quarantine/, read TOKEN/PIPELINE/SUB items, update only REJECTED# items, publish events, decrypt under a pipeline context', () => {
    expect(permissionsOf(roleId(stack.processor))).toEqual(
      [
        ...logWrites(stack.processor),
        ...consume(ingestQueue()),
        `s3:GetObject ${lake()}/claims/*`,
        `s3:PutObject ${lake()}/webhooks/*`,
        `s3:PutObject ${lake()}/quarantine/*`,
        `dynamodb:BatchGetItem ${table()} if ForAllValues:StringEquals dynamodb:LeadingKeys=PIPELINE,SUB,TOKEN`,
        `dynamodb:Query ${table()} if ForAllValues:StringEquals dynamodb:LeadingKeys=PIPELINE,SUB,TOKEN`,
        `dynamodb:UpdateItem ${table()} if ForAllValues:StringLike dynamodb:LeadingKeys=REJECTED#*`,
        `sqs:SendMessage ${eventsQueue()}`,
        `kms:Decrypt ${secretsKey()} ${PIPELINE_CONTEXT}`,
      ].sort(),
    );
  });

  it("api: table items, publish to the events and sync queues, encrypt and decrypt under a subscription context, encrypt only under a sync's or a pipeline's; of S3 list and read webhooks/ and quarantine/ (the console), delete syncs/ files", () => {
    expect(permissionsOf(roleId(stack.api))).toEqual(
      [
        ...logWrites(stack.api),
        `s3:ListBucket ${lake()} if StringLike s3:prefix=quarantine/pipeline_id=*,webhooks/pipeline_id=*`,
        `s3:GetObject ${lake()}/webhooks/*`,
        `s3:GetObject ${lake()}/quarantine/*`,
        ...['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'].map((action) => `dynamodb:${action} ${table()}`),
        `sqs:SendMessage ${eventsQueue()}`,
        `kms:Encrypt ${secretsKey()} ${SUBSCRIPTION_CONTEXT}`,
        `kms:Decrypt ${secretsKey()} ${SUBSCRIPTION_CONTEXT}`,
        // Syncs (SyncService): start a run, encrypt a new sync's secret, remove a deleted sync's files.
        `sqs:SendMessage <${id(stack.syncs.queue)}.Arn>`,
        `kms:Encrypt ${secretsKey()} ${only('subscriptionId', 'syn_*')}`,
        `s3:ListBucket ${lake()} if StringLike s3:prefix=syncs/*`,
        `s3:DeleteObject ${lake()}/syncs/*`,
        `kms:Encrypt ${secretsKey()} ${PIPELINE_CONTEXT}`,
        // Typed tables: publish each pipeline's view, pipeline_<id>, in the Hooklake Glue database (create or update only).
        ...['CreateTable', 'UpdateTable'].flatMap((action) =>
          ['catalog', 'database/hooklake', 'table/hooklake/pipeline_*'].map((resource) => `glue:${action} arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:${resource}`),
        ),
      ].sort(),
    );
  });

  it('fanout: consume and re-enqueue on the events queue, read and put table items, decrypt under a subscription context; no S3 at all', () => {
    expect(permissionsOf(roleId(stack.fanout))).toEqual(
      [
        ...logWrites(stack.fanout),
        ...consume(eventsQueue()),
        `sqs:SendMessage ${eventsQueue()}`,
        ...['GetItem', 'BatchGetItem', 'Query', 'PutItem'].map((action) => `dynamodb:${action} ${table()}`),
        `kms:Decrypt ${secretsKey()} ${SUBSCRIPTION_CONTEXT}`,
        `kms:Decrypt ${secretsKey()} ${only('subscriptionId', 'syn_*')}`, // sync destinations
      ].sort(),
    );
  });

  it("the processor's key conditions cover exactly the partitions its adapters read and write", () => {
    // Reads: dynamoCredentialDirectory (TOKEN, PIPELINE) and the subscription list (SUB).
    expect([...PROCESSOR_READ_PARTITIONS].sort()).toEqual(
      [tokenKey('k').pk.S, pipelineKey(1).pk.S, subscriptionKey('sub_x').pk.S].sort(),
    );
    // Writes: dynamoRejectionCounter's items, whatever the pipeline.
    const pattern = likePattern(PROCESSOR_WRITE_PARTITIONS);
    for (const pipelineId of [1, 42, 123_456_789]) expect(rejectionCountsKey(pipelineId, '2026-11-20').pk.S).toMatch(pattern);
    expect(TOKEN_PK).not.toMatch(pattern);
  });

  it("the KMS condition's pattern matches every subscription id the API accepts", () => {
    const pattern = likePattern(SUBSCRIPTION_ID_PATTERN);
    for (const id of ['sub_0123456789abcdef0123', 'sub_ABCdef12']) {
      expect(id).toMatch(SUBSCRIPTION_ID);
      expect(id).toMatch(pattern);
    }
    expect(SUBSCRIPTION_ID.source.startsWith('^sub_')).toBe(true);
  });

  it('no policy anywhere has a wildcard action or Resource "*", and no role has managed policies', () => {
    for (const [, policy] of resourcesOfType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
        for (const target of asArray(statement.Resource)) expect(target).not.toBe('*');
      }
    }
    for (const [, role] of resourcesOfType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('outputs', () => {
  it('exports what operators and the CLI need', () => {
    const outputs = template.toJSON().Outputs;
    for (const name of ['ApiUrl', 'LakeBucketName', 'TableName', 'IngestQueueUrl', 'AthenaWorkGroup', 'GlueDatabase']) {
      expect(outputs).toHaveProperty(name);
    }
    expect(outputs.TableName.Value).toEqual({ Ref: id(stack.stateTable.table) });
    expect(outputs.GlueDatabase.Value).toEqual({ Ref: id(stack.analytics.database) });
    expect(outputs.AthenaWorkGroup.Value).toEqual({ Ref: id(stack.analytics.workGroup) });
    expect(flatten(outputs.ApiUrl.Value)).toMatch(/^https:\/\/<.+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>\/$/);
    // The HTTP API is the front door by default: the inbound URL is the API's root.
    expect(outputs.InboundUrl.Value).toEqual(outputs.ApiUrl.Value);
    expect(resourcesOfType('AWS::Lambda::Url')).toEqual([]);
  });
});

describe('configuration', () => {
  it('reads settings from CDK context, as strings (-c) or JSON values (cdk.json)', () => {
    const fromCli = new App({
      context: {
        'hooklake:allowPrivateTargets': 'true',
        'hooklake:quarantineDays': '3',
        'hooklake:maxBatchingWindowSeconds': '10',
        'hooklake:logRetentionDays': '14',
        'hooklake:glueDatabase': 'lake_test',
      },
    });
    expect(propsFromContext(fromCli.node)).toEqual({
      allowPrivateTargets: true,
      quarantineDays: 3,
      maxBatchingWindowSeconds: 10,
      logRetention: 14,
      glueDatabaseName: 'lake_test',
    });
    expect(propsFromContext(new App().node)).toEqual({});
    expect(() => propsFromContext(new App({ context: { 'hooklake:quarantineDays': 'soon' } }).node)).toThrow(/quarantineDays/);
    expect(() => new HooklakeStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad', propsFromContext(new App({ context: { 'hooklake:logRetentionDays': 2 } }).node))).toThrow(/hooklake:logRetentionDays/);
  });

  it('applies non-default props without touching process.env', () => {
    // Bundling is skipped here: the default stack above already proved it.
    const other = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const custom = new HooklakeStack(other, 'Custom', {
      allowPrivateTargets: true,
      quarantineDays: 3,
      maxBatchingWindowSeconds: 10,
      glueDatabaseName: 'hooklake_test',
    });
    const t = Template.fromStack(custom);
    const apiEnv = t.toJSON().Resources[custom.getLogicalId(custom.api.fn.node.defaultChild as CfnElement)].Properties
      .Environment.Variables;
    expect(apiEnv[ENV.allowPrivateTargets]).toBe('1');
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 10 });
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'quarantine/', ExpirationInDays: 3 })]) },
    });
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'hooklake_test' } });
  });
  it('cdk.json carries every setting under its context key, at its default', () => {
    const context = cdkJsonContext();
    const hooklakeKeys = Object.keys(context).filter((key) => key.startsWith('hooklake:')).sort();
    expect(hooklakeKeys).toEqual(Object.values(CONTEXT_KEYS).sort());
    const fromCdkJson = propsFromContext(new App({ context }).node);
    expect(fromCdkJson).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ apiReservedConcurrency: 0, lambdaConcurrencyQuota: 10, processorMaxConcurrency: 2, fanoutMaxConcurrency: 4, syncMaxConcurrency: 2, alarmEmail: '' });
  });

  it('applies throttle and concurrency context values; a reservation for the api when the quota allows it', () => {
    const other = new App({
      context: {
        ...cdkJsonContext(),
        'aws:cdk:bundling-stacks': [],
        'hooklake:ingestThrottleRateLimit': '2000',
        'hooklake:ingestThrottleBurstLimit': '4000',
        'hooklake:managementThrottleRateLimit': '5',
        'hooklake:managementThrottleBurstLimit': '10',
        'hooklake:lambdaConcurrencyQuota': '1000',
        'hooklake:apiReservedConcurrency': '10',
        'hooklake:processorMaxConcurrency': '50',
        'hooklake:fanoutMaxConcurrency': '20',
        'hooklake:syncMaxConcurrency': '5',
      },
    });
    const custom = new HooklakeStack(other, 'Custom', propsFromContext(other.node));
    const t = Template.fromStack(custom).toJSON().Resources;
    const logicalId = (construct: IConstruct) => custom.getLogicalId(construct.node.defaultChild as CfnElement);
    const [stage] = Object.values(t).filter((r: Json) => r.Type === 'AWS::ApiGatewayV2::Stage') as Json[];
    expect(stage.Properties.RouteSettings).toEqual({
      'ANY /': { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 },
      'ANY /v4/{proxy+}': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    expect(t[logicalId(custom.api.fn)].Properties.ReservedConcurrentExecutions).toBe(10);
    const capOf = (fn: HooklakeFunction) =>
      (Object.values(t).find((r: Json) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === logicalId(fn.fn)) as Json)
        .Properties.ScalingConfig.MaximumConcurrency;
    expect([capOf(custom.processor), capOf(custom.fanout), capOf(custom.sync)]).toEqual([50, 20, 5]);
  });
});

describe('alarm notifications', () => {
  it('every alarm notifies the alarm topic when it fires and when it clears', () => {
    const alarms = resourcesOfType('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
    const topic = { Ref: id(stack.alarms.topic) };
    for (const [alarmId, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions, alarmId).toEqual([topic]);
      expect(alarm.Properties.OKActions, alarmId).toEqual([topic]);
    }
    expect(template.toJSON().Outputs.AlarmTopicArn.Value).toEqual(topic);
  });

  it('the topic is TLS-only and lets CloudWatch alarms of this account and region publish, nothing else', () => {
    const [, policy] = resourcesOfType('AWS::SNS::TopicPolicy')[0]!;
    expect(policy.Properties.Topics).toEqual([{ Ref: id(stack.alarms.topic) }]);
    const statements = policy.Properties.PolicyDocument.Statement as Json[];
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: id(stack.alarms.topic) } });
    expect(conditionText(allows[0].Condition)).toBe(
      'ArnLike aws:SourceArn=arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:* & StringEquals aws:SourceAccount=<AWS::AccountId>',
    );
    expect(statements.some((statement) => statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
  });

  it('subscribes no one by default, and the hooklake:alarmEmail address when set', () => {
    expect(resourcesOfType('AWS::SNS::Subscription')).toEqual([]);
    const other = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], 'hooklake:alarmEmail': 'ops@example.com' } });
    const custom = new HooklakeStack(other, 'Custom', propsFromContext(other.node));
    const subscriptions = Object.values(Template.fromStack(custom).toJSON().Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map((s) => s.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: custom.getLogicalId(custom.alarms.topic.node.defaultChild as CfnElement) } },
    ]);
  });
});

describe('docs/cost.md', () => {
  it('prices the memory size and architecture each function really deploys', () => {
    const cost = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    for (const [name, fn] of [['receiver', stack.receiver], ['processor', stack.processor], ['api', stack.api], ['fan-out', stack.fanout], ['sync', stack.sync]] as const) {
      const props = resources[id(fn.fn)].Properties;
      expect(cost, name).toContain(`${name} ${(props.MemorySize as number).toLocaleString('en-US')} MB ${props.Architectures[0]}`);
    }
  });

  it('adds up per component for both front doors, the function URL within $1.00 per million, at the deployed memory sizes', () => {
    const cost = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8');
    const section = cost.slice(cost.indexOf('## Per component, for both front doors'), cost.indexOf('### Receiver duration'));
    const rows = section.split('\n').filter((line) => line.startsWith('| ')).map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    // A cell's dollars: "—" and "< $0.01" count as nothing.
    const dollars = (cell: string) => (/^(—|< \$)/.test(cell) ? 0 : Number(/\$(\d+\.\d+)/.exec(cell)?.[1] ?? Number.NaN));
    const components = rows.filter((row) => /\$/.test(row[3] ?? '') || row[3] === '—').filter((row) => !/total|storage/i.test(row[0]!));
    const total = rows.find((row) => row[0] === '**total**')!;
    expect(components.length).toBeGreaterThanOrEqual(9);
    for (const column of [3, 4]) {
      const sum = components.reduce((acc, row) => acc + dollars(row[column]!), 0);
      expect(Number.isFinite(sum)).toBe(true);
      expect(Math.abs(sum - dollars(total[column]!)), `column ${column}: ${sum} vs ${total[column]}`).toBeLessThanOrEqual(0.011);
    }
    expect(dollars(total[4]!)).toBeLessThanOrEqual(1.0);
    // The receiver's compute line prices the memory the stack deploys, and the duration it states.
    const receiverMb = resources[id(stack.receiver.fn)].Properties.MemorySize as number;
    const compute = components.find((row) => row[0] === 'Receiver Lambda compute')!;
    const [, gb, ms, gbSeconds] = /1M × ([\d.]+) GB × ~(\d+) ms = ([\d,]+) GB-s/.exec(compute[1]!)!;
    expect(Number(gb)).toBeCloseTo(receiverMb / 1024, 3);
    expect(Number(gbSeconds!.replace(/,/g, ''))).toBeCloseTo(1e6 * Number(gb) * (Number(ms) / 1000), 0);
    expect(dollars(compute[3]!)).toBeCloseTo(Number(gbSeconds!.replace(/,/g, '')) * 0.0000133334, 2);
  });
});
