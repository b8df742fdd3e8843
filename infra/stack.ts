// HooklakeStack: the inbound half on AWS (HTTP API or function URL -> receiver -> SQS -> processor -> S3 lake),
// the management API, Athena over the lake, and the outbound half (events queue -> fan-out ->
// subscribers, signing secrets under a KMS key).
import { Annotations, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, Node } from 'constructs';
import { SCHEMA_PK } from '../shared/adapters/dynamodb/schema-store.ts';
import { SUBSCRIPTION_PK } from '../shared/adapters/dynamodb/subscription-store.ts';
import { PIPELINE_PK, TOKEN_PK } from '../shared/adapters/dynamodb/table-items.ts';
import { ENV } from '../shared/config.ts';
import { AlarmNotifications } from './constructs/alarms.ts';
import { Analytics } from './constructs/analytics.ts';
import * as path from 'node:path';
import { HooklakeFunction, nagObjectArn, REPO_ROOT } from './constructs/function.ts';
import { CLAIMS_MODULE_FILE } from '../functions/receiver/app.ts';
import { GLUE_CATALOG_MODULE_FILE } from '../functions/api/app.ts';
import { API_MEMORY_MB, FANOUT_MEMORY_MB, PROCESSOR_MEMORY_MB, RECEIVER_MEMORY_MB } from './memory-sizes.ts';
import { HooklakeHttpApi } from './constructs/http-api.ts';
import { encryptionContextCondition } from './constructs/encryption-context.ts';
import { Ingest, MAX_RECEIVE_COUNT } from './constructs/ingest.ts';
import { LAKE_PREFIX, Lake } from './constructs/lake.ts';
import { Outbound } from './constructs/outbound.ts';
import { StateTable } from './constructs/state-table.ts';
import { TypedTables } from './constructs/typed-tables.ts';
import { CONTEXT_KEYS, DEFAULTS, type FrontDoor, type HooklakeSettings, propsFromContext, resolveSettings } from './settings.ts';
import {
  SYNC_DELIVERY_PARTITION,
  SYNC_ENCRYPTION_CONTEXT,
  SYNC_EPHEMERAL_STORAGE_MIB,
  SYNC_EVENT_PARTITION,
  SYNC_FUNCTION_MEMORY_MB,
  SYNC_FUNCTION_TIMEOUT,
  SYNC_ARCHITECTURE,
  SYNC_PARTITIONS,
  Syncs,
  lakeSettingsEnvironment,
  syncNativeModules,
  syncQueryLimitsEnvironment,
} from './constructs/syncs.ts';
import { SYNC_FILES_PREFIX } from '../shared/adapters/s3/sync-files.ts';

/** Settings (infra/settings.ts) plus the plain StackProps (env, description, ...). */
export interface HooklakeStackProps extends StackProps, Partial<HooklakeSettings> {}

export { CONTEXT_KEYS, DEFAULTS, propsFromContext };

/** The plain StackProps part of HooklakeStackProps, so Stack sees no Hooklake settings. */
function stackPropsOnly(props: HooklakeStackProps): StackProps {
  const hooklakeKeys = new Set<string>(Object.keys(DEFAULTS));
  return Object.fromEntries(Object.entries(props).filter(([key]) => !hooklakeKeys.has(key))) as StackProps;
}

// Timeouts: the receiver answers synchronously; the api sits behind API Gateway's 30 s limit;
// the processor writes one Parquet object per pipeline and day of a batch; the fan-out performs
// the deliveries of a batch of events, each attempt bounded by the delivery timeout.
const RECEIVER_TIMEOUT = Duration.seconds(10);

const PROCESSOR_TIMEOUT = Duration.seconds(60);
const API_TIMEOUT = Duration.seconds(29);
const FANOUT_TIMEOUT = Duration.seconds(60);

// Fan-out throughput vs. receiver load: at most hooklake:fanoutMaxConcurrency invocations at once
// (the event source's cap, so a burst queues up instead of fanning out unbounded), each with at
// most FANOUT_HTTP_CONCURRENCY requests in flight: 4 x 16 = 64 concurrent deliveries by default.
const FANOUT_BATCH_SIZE = 10;
const FANOUT_BATCHING_WINDOW = Duration.seconds(1);
const FANOUT_HTTP_CONCURRENCY = 16;
// Partition keys (dynamodb:LeadingKeys) of the items the processor reads: tokens and pipelines
// to authenticate, subscriptions to decide which built-in events anyone wants. ForAllValues is
// vacuously true when a request names no key (Scan), which is one more reason Scan is never granted.
export const PROCESSOR_READ_PARTITIONS = [TOKEN_PK, PIPELINE_PK, SUBSCRIPTION_PK] as const;
const PROCESSOR_READ_CONDITION = {
  'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...PROCESSOR_READ_PARTITIONS] },
};
// The processor writes rejection counters only, all under `REJECTED#<pipeline>` partitions
// (shared/adapters/dynamodb/table-items.ts; test/infra/stack.test.ts holds the two together).
export const PROCESSOR_WRITE_PARTITIONS = 'REJECTED#*';
const PROCESSOR_WRITE_CONDITION = {
  'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [PROCESSOR_WRITE_PARTITIONS] },
};
// Every KMS call passes EncryptionContext {subscriptionId: "sub_..."} (shared/adapters/
// secret-cipher.ts): a role cannot use the key for anything else, and a request without that
// context (the key absent) does not match StringLike.
export const SUBSCRIPTION_ID_PATTERN = 'sub_*';
const SUBSCRIPTION_ENCRYPTION_CONTEXT = encryptionContextCondition('subscriptionId', SUBSCRIPTION_ID_PATTERN);
// Pipelines' verification secrets are encrypted under EncryptionContext {pipelineId: "<id>"}:
// the api encrypts them, the processor decrypts them, and neither grant opens a
// subscription's secret (whose context has no pipelineId key) nor the other way round.
export const PIPELINE_ENCRYPTION_CONTEXT = encryptionContextCondition('pipelineId', '*');
// Retries wait in the events queue with DelaySeconds up to 900 s (see outbound.ts): alarm at
// twice that, so only a stalled fan-out, not a normal retry, trips it.
const EVENTS_OLDEST_MESSAGE_ALARM_AGE = Duration.minutes(30);
export class HooklakeStack extends Stack {
  readonly lake: Lake;
  readonly analytics: Analytics;
  readonly stateTable: StateTable;
  readonly ingest: Ingest;
  readonly receiver: HooklakeFunction;
  readonly processor: HooklakeFunction;
  readonly api: HooklakeFunction;
  readonly outbound: Outbound;
  readonly fanout: HooklakeFunction;
  readonly httpApi: HooklakeHttpApi;
  /** hooklake:frontDoor: where inbound webhooks arrive. */
  readonly frontDoor: FrontDoor;
  /** The receiver's function URL (frontDoor functionUrl), else undefined. */
  readonly receiverUrl: lambda.FunctionUrl | undefined;
  readonly syncs: Syncs;
  readonly sync: HooklakeFunction;
  readonly typedTables: TypedTables;
  readonly alarms: AlarmNotifications;

  constructor(scope: Construct, id: string, props: HooklakeStackProps = {}) {
    super(scope, id, {
      description: 'Hooklake: serverless webhook platform (inbound webhooks, lake, management API, outbound fan-out)',
      ...stackPropsOnly(props),
    });
    const settings = resolveSettings(props);

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
    this.outbound = new Outbound(this, 'Outbound', {
      fanoutTimeout: FANOUT_TIMEOUT,
      oldestMessageAlarmAge: EVENTS_OLDEST_MESSAGE_ALARM_AGE,
    });

    this.syncs = new Syncs(this, 'Syncs', { oldestMessageAlarmAge: Duration.minutes(30) });

    const bucket = this.lake.bucket;
    const table = this.stateTable.table;
    const eventsQueue = this.outbound.queue;
    const secretsKey = this.outbound.secretsKey;
    const common = { logRetention: settings.logRetention, tracing: settings.tracing };
    const allowPrivateTargets = settings.allowPrivateTargets ? '1' : '0';

    this.receiver = new HooklakeFunction(this, 'Receiver', {
      ...common,
      name: 'receiver',
      description: 'Hooklake receiver: answers inbound webhooks and queues them',
      memorySize: RECEIVER_MEMORY_MB,
      timeout: RECEIVER_TIMEOUT,
      // The S3 client (claim checks of bodies over the SQS limit) in a file of its own, loaded
      // only by a request that needs it; index.mjs carries what every request uses.
      lazyModules: [{ entry: 'functions/receiver/claims.ts', file: CLAIMS_MODULE_FILE }],
      // One invocation per webhook: Lambda's START/END/REPORT lines would be most of the log bill
      // (docs/cost.md). Failures are still logged (the handlers log them at error level).
      quietPlatformLogs: true,
      ...(settings.receiverReservedConcurrency === 0 ? {} : { reservedConcurrentExecutions: settings.receiverReservedConcurrency }),
      environment: {
        [ENV.ingestQueueUrl]: this.ingest.queue.queueUrl,
        [ENV.lakeBucket]: bucket.bucketName,
      },
    });
    this.processor = new HooklakeFunction(this, 'Processor', {
      ...common,
      name: 'processor',
      description: 'Hooklake processor: authenticates queued webhooks and lands them as Parquet',
      memorySize: PROCESSOR_MEMORY_MB,
      timeout: PROCESSOR_TIMEOUT,
      environment: {
        [ENV.lakeBucket]: bucket.bucketName,
        [ENV.tableName]: table.tableName,
        [ENV.eventsQueueUrl]: eventsQueue.queueUrl,
        [ENV.ingestMaxReceiveCount]: String(MAX_RECEIVE_COUNT),
        [ENV.secretsKmsKeyId]: secretsKey.keyArn,
      },
    });
    // A receiver writes ingest messages its processor must read (version 2: a header line, then
    // the body as sent); CloudFormation updates the processor first, so no processor of an
    // earlier version meets one. Messages queued before the update are version 1, read by both.
    this.receiver.fn.node.addDependency(this.processor.fn);
    this.api = new HooklakeFunction(this, 'ManagementApi', {
      ...common,
      name: 'api',
      description: 'Hooklake management API (/v4/) and console (/console/)',
      // The console's built files (scripts/build-console.mjs) travel beside the bundle.
      extraAssets: [{ from: path.join(REPO_ROOT, 'console', 'dist'), to: 'console' }],
      // The Glue SDK (typed tables' Athena views) in a file of its own, loaded by the schema
      // refresh's first publication; the console's and /v4/'s cold starts do not carry it.
      lazyModules: [{ entry: 'functions/api/glue-catalog.ts', file: GLUE_CATALOG_MODULE_FILE }],
      memorySize: API_MEMORY_MB,
      timeout: API_TIMEOUT,
      // Opt-in (hooklake:apiReservedConcurrency): its own share of the account's concurrency, so an
      // ingest flood cannot leave the management API without instances. None by default: a
      // reservation fails the deploy on an account whose quota is 10.
      ...(settings.apiReservedConcurrency === 0 ? {} : { reservedConcurrentExecutions: settings.apiReservedConcurrency }),
      environment: {
        [ENV.tableName]: table.tableName,
        [ENV.lakeBucket]: bucket.bucketName,
        [ENV.allowPrivateTargets]: allowPrivateTargets,
        [ENV.eventsQueueUrl]: eventsQueue.queueUrl,
        [ENV.syncQueueUrl]: this.syncs.queue.queueUrl,
        [ENV.secretsKmsKeyId]: secretsKey.keyArn,
        [ENV.deliveryTimeoutMs]: String(settings.deliveryTimeoutMs),
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
        [ENV.glueDatabase]: settings.glueDatabaseName,
      },
    });
    this.fanout = new HooklakeFunction(this, 'Fanout', {
      ...common,
      name: 'fanout',
      description: 'Hooklake fan-out: delivers events to subscriptions, signed, with Kommo retry rules',
      memorySize: FANOUT_MEMORY_MB,
      timeout: FANOUT_TIMEOUT,
      environment: {
        [ENV.eventsQueueUrl]: eventsQueue.queueUrl,
        [ENV.tableName]: table.tableName,
        [ENV.secretsKmsKeyId]: secretsKey.keyArn,
        [ENV.deliveryTimeoutMs]: String(settings.deliveryTimeoutMs),
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
        [ENV.fanoutConcurrency]: String(FANOUT_HTTP_CONCURRENCY),
        [ENV.allowPrivateTargets]: allowPrivateTargets,
      },
    });

    this.sync = new HooklakeFunction(this, 'Sync', {
      ...common,
      name: 'sync',
      description: 'Hooklake syncs (query the lake with DuckDB, diff with what was delivered, enqueue row-ops to the fan-out) and the lake\'s hourly compaction',
      memorySize: SYNC_FUNCTION_MEMORY_MB,
      timeout: SYNC_FUNCTION_TIMEOUT,
      // DuckDB ships as a native binding, the one for this architecture, beside the bundle.
      architecture: SYNC_ARCHITECTURE,
      nativeModules: syncNativeModules(SYNC_ARCHITECTURE),
      ephemeralStorageMiB: SYNC_EPHEMERAL_STORAGE_MIB,
      environment: {
        [ENV.tableName]: table.tableName,
        [ENV.lakeBucket]: bucket.bucketName,
        [ENV.eventsQueueUrl]: eventsQueue.queueUrl,
        [ENV.syncQueueUrl]: this.syncs.queue.queueUrl,
        [ENV.deliveryRetentionDays]: String(settings.deliveryRetentionDays),
        [ENV.syncWorkDir]: '/tmp/hooklake-sync',
        ...syncQueryLimitsEnvironment(),
        ...lakeSettingsEnvironment(settings.compactionGraceMinutes),
      },
    });
    this.syncs.connectSyncFunction(this.sync.fn, settings.syncMaxConcurrency);

    this.ingest.connectProcessor(this.processor.fn, {
      batchSize: settings.processorBatchSize,
      maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
      maxConcurrency: settings.processorMaxConcurrency,
    });
    this.outbound.connectFanout(this.fanout.fn, {
      batchSize: FANOUT_BATCH_SIZE,
      maxBatchingWindow: FANOUT_BATCHING_WINDOW,
      maxConcurrency: settings.fanoutMaxConcurrency,
    });

    // Permissions: exactly the calls each function's code makes (functions/<name>/app.ts and the
    // adapters it builds), nothing for code that does not exist. The grant*() helpers are
    // avoided where they add more (bucket.grantPut adds s3:Abort*, table.grantReadData adds
    // Scan). The event sources above granted the processor and the fan-out the SQS consume
    // actions on their queues. SendMessageBatch is authorised by sqs:SendMessage.
    const objects = (prefix: string) => this.lake.objectsArn(prefix);
    const nagObjects = (prefix: string) => nagObjectArn(this, bucket, `${prefix}*`);

    // receiver: enqueue (SendMessage/SendMessageBatch); bodies too large for SQS go to claims/.
    this.receiver.allow(['sqs:SendMessage'], [this.ingest.queue.queueArn]);
    this.receiver.allow(['s3:PutObject'], [objects(LAKE_PREFIX.claims)]);
    this.receiver.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.claims),
      'The receiver writes each claim-check body to claims/<day>/<request id>.json; the key is new for every request, so only the prefix can be granted (write-only).',
    );

    // processor: read claims; land Parquet under webhooks/ and rejects under quarantine/; look up
    // tokens and pipelines (BatchGetItem) and the subscriptions (Query) that decide which built-in
    // events to publish; count rejections (UpdateItem ADD on REJECTED# items); publish events.
    this.processor.allow(['s3:GetObject'], [objects(LAKE_PREFIX.claims)]);
    this.processor.allow(['s3:PutObject'], [objects(LAKE_PREFIX.webhooks), objects(LAKE_PREFIX.quarantine)]);
    this.processor.allow(['dynamodb:BatchGetItem', 'dynamodb:Query'], [table.tableArn], PROCESSOR_READ_CONDITION);
    this.processor.allow(['dynamodb:UpdateItem'], [table.tableArn], PROCESSOR_WRITE_CONDITION);
    this.processor.allow(['sqs:SendMessage'], [eventsQueue.queueArn]);
    // Signature verification: open the pipelines' verification secrets (never encrypt them).
    this.processor.allow(['kms:Decrypt'], [secretsKey.keyArn], PIPELINE_ENCRYPTION_CONTEXT);
    this.processor.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.claims),
      'The processor reads a claim-check body at the key its queue message names; the grant keeps even a forged pointer inside claims/ of the lake bucket (read-only).',
    );
    this.processor.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.webhooks),
      'The processor writes Parquet to webhooks/pipeline_id=N/dt=D/<hash of the batch ids>.parquet; keys are new for every batch, so only the prefix can be granted (write-only).',
    );
    this.processor.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.quarantine),
      'The processor writes rejected requests to quarantine/pipeline_id=N/dt=D/<hash of the batch ids>.jsonl; keys are new for every batch, so only the prefix can be granted (write-only).',
    );

    // api: pipelines, tokens, admins, subscriptions, syncs and the delivery log in the table
    // (rejection and landed counts are table items); publish custom events and redeliveries; encrypt new
    // signing secrets, decrypt them for the connection test.
    this.api.allow(
      ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [table.tableArn],
    );
    this.api.allow(['sqs:SendMessage'], [eventsQueue.queueArn]);
    this.api.allow(['kms:Encrypt', 'kms:Decrypt'], [secretsKey.keyArn], SUBSCRIPTION_ENCRYPTION_CONTEXT);
    // api, syncs (SyncService): sync items and run records are table items (the grants above);
    // start a run (SendMessage to the sync queue); encrypt a new sync's secret and header values
    // under {subscriptionId: "syn_…"} (never decrypt: only the fan-out signs); delete a deleted
    // sync's files under syncs/<id>/ (list, then delete each). Nothing else of the lake bucket.
    this.api.allow(['sqs:SendMessage'], [this.syncs.queue.queueArn]);
    this.api.allow(['kms:Encrypt'], [secretsKey.keyArn], SYNC_ENCRYPTION_CONTEXT);
    this.api.allow(['s3:ListBucket'], [bucket.bucketArn], { StringLike: { 's3:prefix': [`${SYNC_FILES_PREFIX}*`] } });
    this.api.allow(['s3:DeleteObject'], [objects(SYNC_FILES_PREFIX)]);
    this.api.acknowledgePrefixWildcard(
      nagObjects(SYNC_FILES_PREFIX),
      'The management API deletes a deleted sync\'s files (syncs/<sync id>/snapshot.parquet and unfinished runs\' row-ops); ids are made at run time, so only the prefix can be granted (delete-only).',
    );
    // Pipelines' verification secrets: encrypted when set, never decrypted by the api.
    this.api.allow(['kms:Encrypt'], [secretsKey.keyArn], PIPELINE_ENCRYPTION_CONTEXT);
    // The console's request inspector (shared/services/inspector/request-inspector.ts) reads back what the
    // processor wrote: lists a pipeline's recent lake and quarantine objects, reads them (never
    // claims/, never writes).
    this.api.allow(['s3:ListBucket'], [bucket.bucketArn], {
      StringLike: { 's3:prefix': [`${LAKE_PREFIX.webhooks}pipeline_id=*`, `${LAKE_PREFIX.quarantine}pipeline_id=*`] },
    });
    this.api.allow(['s3:GetObject'], [objects(LAKE_PREFIX.webhooks), objects(LAKE_PREFIX.quarantine)]);
    this.api.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.webhooks),
      "The console's live view and id search read a pipeline's recent webhooks/pipeline_id=N/dt=D/*.parquet objects (read-only, a few per call); their names are per batch, so only the prefix can be granted.",
    );
    this.api.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.quarantine),
      "The console's live view and id search read a pipeline's recent quarantine/pipeline_id=N/dt=D/*.jsonl objects (read-only, a few per call); their names are per batch, so only the prefix can be granted.",
    );

    // Typed tables: the schedule invokes the api to refresh every pipeline's schema (SCHEMA items,
    // the table grants above; the lake read as the inspector reads it, the grants above) and to
    // publish each pipeline's Athena view: create or update the database's pipeline_* tables only.
    this.typedTables = new TypedTables(this, 'TypedTables', { api: this.api.fn, databaseName: settings.glueDatabaseName });
    this.api.allow(this.typedTables.glueActions, this.typedTables.glueResources);
    Validations.of(this.api.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${settings.glueDatabaseName}/pipeline_*]`,
      reason: "The api publishes each pipeline's typed view as the Glue table pipeline_<id> of the Hooklake database; pipeline ids are made at run time, so only the name prefix can be granted (create and update, never delete).",
    });

    // fanout: re-enqueue retries (DelaySeconds) on its own queue; subscriptions (read), events,
    // deliveries and suspension state (conditional PutItem) in the table; decrypt signing secrets
    // (never encrypt: only the api creates them). Events live in the table, never in S3.
    this.fanout.allow(['sqs:SendMessage'], [eventsQueue.queueArn]);
    this.fanout.allow(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem'], [table.tableArn]);
    this.fanout.allow(['kms:Decrypt'], [secretsKey.keyArn], SUBSCRIPTION_ENCRYPTION_CONTEXT);
    // A sync's delivery jobs name the sync as their target: its secret and header values open
    // only under {subscriptionId: "syn_…"}, a grant of its own.
    this.fanout.allow(['kms:Decrypt'], [secretsKey.keyArn], SYNC_ENCRYPTION_CONTEXT);

    // sync: mirror the lake (list and read webhooks/, and the compaction manifests under
    // compaction/), keep its runs' row-ops and its snapshot under syncs/; read sync items and the
    // schemas of the typed tables a query names, claim and release runs (UpdateItem), write run
    // records; write its row-op events and deliveries (BatchWriteItem), read them back
    // (BatchGetItem, Query); queue delivery jobs for the fan-out and its own continuations and
    // checks. Compact the lake: write each hour's object under webhooks/
    // (in parts when large: an abandoned upload is aborted) and its manifest under compaction/, then
    // delete what the grace period frees. No KMS: it never sees a secret (the fan-out signs).
    const leadingKeys = (...partitions: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': partitions } });
    this.sync.allow(['s3:ListBucket'], [bucket.bucketArn], {
      StringLike: { 's3:prefix': [`${LAKE_PREFIX.webhooks}*`, `${SYNC_FILES_PREFIX}*`, `${LAKE_PREFIX.compaction}*`] },
    });
    this.sync.allow(['s3:GetObject'], [objects(LAKE_PREFIX.webhooks)]);
    this.sync.allow(['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], [objects(LAKE_PREFIX.webhooks)]);
    this.sync.allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(LAKE_PREFIX.compaction)]);
    this.sync.allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [objects(SYNC_FILES_PREFIX)]);
    this.sync.allow(['dynamodb:GetItem'], [table.tableArn], leadingKeys(...SYNC_PARTITIONS, SCHEMA_PK));
    this.sync.allow(['dynamodb:Query'], [table.tableArn], leadingKeys(SYNC_PARTITIONS[0], SYNC_DELIVERY_PARTITION));
    this.sync.allow(['dynamodb:UpdateItem'], [table.tableArn], leadingKeys(SYNC_PARTITIONS[0]));
    this.sync.allow(['dynamodb:PutItem'], [table.tableArn], leadingKeys(SYNC_PARTITIONS[1]));
    this.sync.allow(['dynamodb:BatchGetItem'], [table.tableArn], leadingKeys(SYNC_DELIVERY_PARTITION));
    this.sync.allow(['dynamodb:BatchWriteItem'], [table.tableArn], leadingKeys(SYNC_DELIVERY_PARTITION, SYNC_EVENT_PARTITION));
    this.sync.allow(['sqs:SendMessage'], [eventsQueue.queueArn, this.syncs.queue.queueArn]);
    this.sync.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.webhooks),
      'The sync function mirrors the lake to run a sync query over it, and compacts it by hour: it reads whichever webhooks/pipeline_id=N/dt=D/*.parquet objects exist, writes each hour\'s compacted object (named from its rows) and deletes the objects a compaction replaced once their grace period has passed.',
    );
    this.sync.acknowledgePrefixWildcard(
      nagObjects(LAKE_PREFIX.compaction),
      'The sync function records each compaction in compaction/pipeline_id=N/dt=D/<output>.json (what it read, for readers and for the later removal) and deletes it once its inputs are removed; names derive from the rows compacted.',
    );
    this.sync.acknowledgePrefixWildcard(
      nagObjects(SYNC_FILES_PREFIX),
      'The sync function keeps each sync snapshot at syncs/<sync id>/snapshot.parquet and each run row-ops at syncs/<sync id>/runs/<run id>/ops.parquet; ids are made at run time, so only the prefix can be granted.',
    );

    // Every alarm notifies one topic, when it fires and when it clears.
    this.alarms = new AlarmNotifications(this, 'Alarms', {
      email: settings.alarmEmail === '' ? undefined : settings.alarmEmail,
      alarms: [
        this.ingest.dlqDepthAlarm,
        this.ingest.oldestMessageAlarm,
        this.outbound.dlqDepthAlarm,
        this.outbound.oldestMessageAlarm,
        this.syncs.dlqDepthAlarm,
        this.syncs.oldestMessageAlarm,
      ],
    });

    // The front door of inbound webhooks (docs/deploy.md, "Front door"): the HTTP API's `ANY /`
    // route, or a function URL of the receiver (public: Kondado's URL carries its own key and
    // token, checked by the processor); /v4/ and the console stay on the HTTP API either way.
    this.frontDoor = settings.frontDoor;
    this.receiverUrl =
      settings.frontDoor === 'functionUrl'
        ? this.receiver.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE, invokeMode: lambda.InvokeMode.BUFFERED })
        : undefined;
    if (this.receiverUrl !== undefined && settings.receiverReservedConcurrency === 0) {
      Annotations.of(this.receiver).addWarningV2(
        'hooklake:receiverUnbounded',
        `The receiver's function URL has no throttle and ${CONTEXT_KEYS.receiverReservedConcurrency} is 0: a flood of webhooks can take the account's whole Lambda concurrency (docs/deploy.md, "Front door").`,
      );
    }

    this.httpApi = new HooklakeHttpApi(this, 'Http', {
      receiver: this.receiverUrl === undefined ? this.receiver.fn : undefined,
      api: this.api.fn,
      ingestThrottle: { rateLimit: settings.ingestThrottleRateLimit, burstLimit: settings.ingestThrottleBurstLimit },
      managementThrottle: { rateLimit: settings.managementThrottleRateLimit, burstLimit: settings.managementThrottleBurstLimit },
      logRetention: settings.logRetention,
    });

    new CfnOutput(this, 'InboundUrl', {
      value: this.receiverUrl?.url ?? this.httpApi.url,
      description: `Inbound webhook URL (add ?pipeline_id=N&key=...&token=...): ${this.receiverUrl === undefined ? 'the HTTP API' : "the receiver's function URL"}`,
    });
    new CfnOutput(this, 'ApiUrl', {
      value: this.httpApi.url,
      description: this.receiverUrl === undefined ? 'Management API under v4/, console under console/, inbound webhooks at the root' : 'Management API under v4/, console under console/',
    });
    new CfnOutput(this, 'LakeBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'For `hooklake admin create --table NAME`' });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingest.queue.queueUrl });
    new CfnOutput(this, 'IngestDeadLetterQueueUrl', { value: this.ingest.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.workGroup.ref });
    new CfnOutput(this, 'GlueDatabase', { value: this.analytics.database.ref });
    new CfnOutput(this, 'EventsQueueUrl', { value: eventsQueue.queueUrl, description: 'Outbound events and delivery retries' });
    new CfnOutput(this, 'EventsDeadLetterQueueUrl', { value: this.outbound.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'SyncQueueUrl', { value: this.syncs.queue.queueUrl, description: 'Sync triggers, run continuations and completion checks' });
    new CfnOutput(this, 'SyncDeadLetterQueueUrl', { value: this.syncs.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'SNS topic every Hooklake alarm notifies (ALARM and OK): subscribe e-mail, chat, HTTPS or a pager to it',
    });
    new CfnOutput(this, 'SecretsKeyArn', { value: secretsKey.keyArn, description: 'KMS key encrypting subscription signing secrets' });
  }
}
