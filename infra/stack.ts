// HooklakeStack: the inbound half on AWS (HTTP API -> receiver -> SQS -> processor -> S3 lake),
// the management API, and Athena over the lake.
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, Node } from 'constructs';
import { ENV } from '../shared/config.ts';
import { Analytics } from './constructs/analytics.ts';
import { HooklakeFunction, nagObjectArn } from './constructs/function.ts';
import { HooklakeHttpApi } from './constructs/http-api.ts';
import { Ingest } from './constructs/ingest.ts';
import { LAKE_PREFIX, Lake } from './constructs/lake.ts';
import { StateTable } from './constructs/state-table.ts';

export interface HooklakeStackProps extends StackProps {
  /** Let the api accept subscription targets on private/loopback addresses. Default false. */
  allowPrivateTargets?: boolean;
  /** Days quarantined requests are kept. Default 7. */
  quarantineDays?: number;
  /** Seconds the processor's event source waits to fill a batch. Default 5. */
  maxBatchingWindowSeconds?: number;
  /** Records per processor invocation. Default 100. */
  processorBatchSize?: number;
  /** Retention of Lambda and access logs. Default one month. */
  logRetention?: logs.RetentionDays;
  /** Active X-Ray tracing on the functions. Default false. */
  tracing?: boolean;
  /** Glue database name. Default `hooklake`. */
  glueDatabaseName?: string;
  /** Athena workgroup name. Default `hooklake`. */
  athenaWorkGroupName?: string;
  /** First day (yyyy-MM-dd) Athena projects for `dt`. Default 2024-01-01. */
  lakeStartDate?: string;
  /** HTTP API stage throttling. Default 500 req/s, burst 1000. */
  throttleRateLimit?: number;
  throttleBurstLimit?: number;
}

export const DEFAULTS = {
  allowPrivateTargets: false,
  quarantineDays: 7,
  maxBatchingWindowSeconds: 5,
  processorBatchSize: 100,
  logRetention: logs.RetentionDays.ONE_MONTH,
  tracing: false,
  glueDatabaseName: 'hooklake',
  athenaWorkGroupName: 'hooklake',
  lakeStartDate: '2024-01-01',
  throttleRateLimit: 500,
  throttleBurstLimit: 1000,
} as const;

/** CDK context keys (cdk.json or `cdk deploy -c key=value`) that map to stack props. */
export const CONTEXT_KEYS = {
  allowPrivateTargets: 'hooklake:allowPrivateTargets',
  quarantineDays: 'hooklake:quarantineDays',
  maxBatchingWindowSeconds: 'hooklake:maxBatchingWindowSeconds',
  processorBatchSize: 'hooklake:processorBatchSize',
  logRetentionDays: 'hooklake:logRetentionDays',
  tracing: 'hooklake:tracing',
  glueDatabaseName: 'hooklake:glueDatabase',
  athenaWorkGroupName: 'hooklake:athenaWorkGroup',
  lakeStartDate: 'hooklake:lakeStartDate',
  throttleRateLimit: 'hooklake:throttleRateLimit',
  throttleBurstLimit: 'hooklake:throttleBurstLimit',
} as const;

/**
 * Reads the stack settings from CDK context. Values from `-c` arrive as strings, values from
 * cdk.json keep their JSON type; both are accepted. Unset keys fall back to DEFAULTS.
 */
export function propsFromContext(node: Node): HooklakeStackProps {
  const raw = (key: string): unknown => node.tryGetContext(key);
  const bool = (key: string): boolean | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true' || value === '1' || value === 1) return true;
    if (value === false || value === 'false' || value === '0' || value === 0) return false;
    throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
  };
  const int = (key: string, min: number): number | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isInteger(n) || n < min) throw new Error(`context ${key} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
    return n;
  };
  const str = (key: string): string | undefined => {
    const value = raw(key);
    return value === undefined ? undefined : String(value);
  };
  const retentionDays = int(CONTEXT_KEYS.logRetentionDays, 1);
  if (retentionDays !== undefined && !Object.values(logs.RetentionDays).includes(retentionDays)) {
    throw new Error(`context ${CONTEXT_KEYS.logRetentionDays}: ${retentionDays} is not a CloudWatch Logs retention period`);
  }
  return stripUndefined({
    allowPrivateTargets: bool(CONTEXT_KEYS.allowPrivateTargets),
    quarantineDays: int(CONTEXT_KEYS.quarantineDays, 1),
    maxBatchingWindowSeconds: int(CONTEXT_KEYS.maxBatchingWindowSeconds, 0),
    processorBatchSize: int(CONTEXT_KEYS.processorBatchSize, 1),
    logRetention: retentionDays as logs.RetentionDays | undefined,
    tracing: bool(CONTEXT_KEYS.tracing),
    glueDatabaseName: str(CONTEXT_KEYS.glueDatabaseName),
    athenaWorkGroupName: str(CONTEXT_KEYS.athenaWorkGroupName),
    lakeStartDate: str(CONTEXT_KEYS.lakeStartDate),
    throttleRateLimit: int(CONTEXT_KEYS.throttleRateLimit, 1),
    throttleBurstLimit: int(CONTEXT_KEYS.throttleBurstLimit, 1),
  });
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The plain StackProps part of HooklakeStackProps, so Stack sees no Hooklake settings. */
function stackPropsOnly(props: HooklakeStackProps): StackProps {
  const hooklakeKeys = new Set<string>(Object.keys(DEFAULTS));
  return Object.fromEntries(Object.entries(props).filter(([key]) => !hooklakeKeys.has(key))) as StackProps;
}

// Timeouts: the receiver answers synchronously; the api sits behind API Gateway's 30 s limit;
// the processor writes one Parquet object per pipeline and day of a batch.
const RECEIVER_TIMEOUT = Duration.seconds(10);
const PROCESSOR_TIMEOUT = Duration.seconds(60);
const API_TIMEOUT = Duration.seconds(29);

export class HooklakeStack extends Stack {
  readonly lake: Lake;
  readonly analytics: Analytics;
  readonly stateTable: StateTable;
  readonly ingest: Ingest;
  readonly receiver: HooklakeFunction;
  readonly processor: HooklakeFunction;
  readonly api: HooklakeFunction;
  readonly httpApi: HooklakeHttpApi;

  constructor(scope: Construct, id: string, props: HooklakeStackProps = {}) {
    super(scope, id, {
      description: 'Hooklake: serverless webhook platform (inbound webhooks, lake, management API)',
      ...stackPropsOnly(props),
    });
    const settings = { ...DEFAULTS, ...stripUndefined(props) };

    this.lake = new Lake(this, 'Lake', { quarantineDays: settings.quarantineDays });
    this.stateTable = new StateTable(this, 'State');
    this.analytics = new Analytics(this, 'Analytics', {
      lakeBucket: this.lake.bucket,
      accessLogsBucket: this.lake.accessLogsBucket,
      databaseName: settings.glueDatabaseName,
      workGroupName: settings.athenaWorkGroupName,
      lakeStartDate: settings.lakeStartDate,
    });
    this.ingest = new Ingest(this, 'Ingest', {
      processorTimeout: PROCESSOR_TIMEOUT,
      oldestMessageAlarmAge: Duration.minutes(5),
    });

    const bucket = this.lake.bucket;
    const table = this.stateTable.table;
    const common = { logRetention: settings.logRetention, tracing: settings.tracing };

    this.receiver = new HooklakeFunction(this, 'Receiver', {
      ...common,
      name: 'receiver',
      description: 'Hooklake receiver: answers inbound webhooks and queues them',
      memorySize: 512,
      timeout: RECEIVER_TIMEOUT,
      environment: {
        [ENV.ingestQueueUrl]: this.ingest.queue.queueUrl,
        [ENV.lakeBucket]: bucket.bucketName,
      },
    });
    this.processor = new HooklakeFunction(this, 'Processor', {
      ...common,
      name: 'processor',
      description: 'Hooklake processor: authenticates queued webhooks and lands them as Parquet',
      memorySize: 1024,
      timeout: PROCESSOR_TIMEOUT,
      environment: {
        [ENV.lakeBucket]: bucket.bucketName,
        [ENV.tableName]: table.tableName,
      },
    });
    this.api = new HooklakeFunction(this, 'ManagementApi', {
      ...common,
      name: 'api',
      description: 'Hooklake management API (/v4/)',
      memorySize: 512,
      timeout: API_TIMEOUT,
      environment: {
        [ENV.tableName]: table.tableName,
        [ENV.lakeBucket]: bucket.bucketName,
        [ENV.allowPrivateTargets]: settings.allowPrivateTargets ? '1' : '0',
      },
    });

    this.ingest.connectProcessor(this.processor.fn, {
      batchSize: settings.processorBatchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
    });

    // Permissions, exact actions only. The grant*() helpers are avoided where they add more
    // than a function needs (bucket.grantPut adds s3:Abort*, table.grantReadData adds Scan).
    // The event source above already granted the processor exactly the SQS consume actions.
    const objects = (prefix: string) => this.lake.objectsArn(prefix);
    const nagObjects = (prefix: string) => nagObjectArn(this, bucket, `${prefix}*`);

    // receiver: enqueue, and park large bodies under claims/.
    this.receiver.allow(['sqs:SendMessage'], [this.ingest.queue.queueArn]);
    this.receiver.allow(['s3:PutObject'], [objects(LAKE_PREFIX.claims)]);
    this.receiver.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.claims), 'Receiver writes claim-check bodies only under claims/ (one object per request id).');

    // processor: read claims, land rows and rejects, look up tokens/pipelines, bump counters.
    this.processor.allow(['s3:GetObject'], [objects(LAKE_PREFIX.claims)]);
    this.processor.allow(['s3:PutObject'], [objects(LAKE_PREFIX.webhooks), objects(LAKE_PREFIX.quarantine)]);
    this.processor.allow(['dynamodb:BatchGetItem', 'dynamodb:GetItem'], [table.tableArn]);
    this.processor.allow(['dynamodb:UpdateItem'], [table.tableArn]);
    this.processor.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.claims), 'Processor reads claim-check bodies, which exist only under claims/.');
    this.processor.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.webhooks), 'Processor lands Parquet under webhooks/pipeline_id=N/dt=D/; keys are per batch, so only a prefix can be granted.');
    this.processor.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.quarantine), 'Processor writes rejected requests under quarantine/pipeline_id=N/dt=D/; keys are per batch.');

    // api: manage pipelines, tokens, admins and subscriptions in the table; read the lake for
    // the rejections view (counters in the table, samples under quarantine/) and row samples.
    this.api.allow(
      [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
      ],
      [table.tableArn],
    );
    this.api.allow(['s3:ListBucket'], [bucket.bucketArn]);
    this.api.allow(['s3:GetObject'], [objects(LAKE_PREFIX.quarantine), objects(LAKE_PREFIX.webhooks)]);
    this.api.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.quarantine), 'Management API reads quarantined requests (read-only) for the rejections view.');
    this.api.acknowledgePrefixWildcard(nagObjects(LAKE_PREFIX.webhooks), 'Management API reads landed Parquet (read-only); claims/ stays out of reach.');

    this.httpApi = new HooklakeHttpApi(this, 'Http', {
      receiver: this.receiver.fn,
      api: this.api.fn,
      rateLimit: settings.throttleRateLimit,
      burstLimit: settings.throttleBurstLimit,
      logRetention: settings.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.url, description: 'Inbound webhook URL (add ?pipeline_id=N&key=...&token=...); management API under v4/' });
    new CfnOutput(this, 'LakeBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'For `hooklake admin create --table NAME`' });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingest.queue.queueUrl });
    new CfnOutput(this, 'IngestDeadLetterQueueUrl', { value: this.ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref });
    new CfnOutput(this, 'GlueDatabase', { value: this.analytics.database.ref });
  }
}
