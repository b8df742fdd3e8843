// Every environment variable the functions read, parsed once at cold start.
import { availableParallelism } from 'node:os';
import * as v from 'valibot';
import { DEFAULT_BODY_BUDGET_BYTES } from './domain/ingest/body-budget.ts';
import { MAX_BODY_BYTES } from './domain/ingest/event-limits.ts';
import { REJECTION_SUMMARY_WINDOW_SECONDS } from './domain/ingest/rejections.ts';
import { localSyncQueryLimits, parseByteSize, SYNC_QUERY_LIMIT_ENV, syncQueryLimitsProblem, type SyncQueryLimits } from './domain/syncs/query-limits.ts';

const optionalInt = (fallback: number, min = 0) =>
  v.optional(
    v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(min)),
    String(fallback),
  );

const flag = (fallback: boolean) =>
  v.pipe(
    v.optional(v.picklist(['0', '1', 'true', 'false', '']), fallback ? '1' : '0'),
    v.transform((value) => value === '1' || value === 'true'),
  );

const endpoint = v.optional(v.pipe(v.string(), v.url()));

/** AWS clients: region plus emulator endpoints (unset on AWS). */
const AwsSchema = v.object({
  AWS_REGION: v.optional(v.string(), 'us-east-1'),
  HOOKLAKE_SQS_ENDPOINT: endpoint,
  HOOKLAKE_S3_ENDPOINT: endpoint,
  HOOKLAKE_DYNAMODB_ENDPOINT: endpoint,
  HOOKLAKE_GLUE_ENDPOINT: endpoint,
});

export interface AwsConfig {
  region: string;
  endpoints: { sqs?: string | undefined; s3?: string | undefined; dynamodb?: string | undefined; glue?: string | undefined };
}

function awsConfig(parsed: v.InferOutput<typeof AwsSchema>): AwsConfig {
  return {
    region: parsed.AWS_REGION,
    endpoints: {
      sqs: parsed.HOOKLAKE_SQS_ENDPOINT,
      s3: parsed.HOOKLAKE_S3_ENDPOINT,
      dynamodb: parsed.HOOKLAKE_DYNAMODB_ENDPOINT,
      ...(parsed.HOOKLAKE_GLUE_ENDPOINT === undefined ? {} : { glue: parsed.HOOKLAKE_GLUE_ENDPOINT }),
    },
  };
}

type Env = Record<string, string | undefined>;

function parse<const S extends v.GenericSchema>(schema: S, env: Env, functionName: string): v.InferOutput<S> {
  const result = v.safeParse(schema, env);
  if (!result.success) {
    const problems = result.issues.map((issue) => `${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new Error(`${functionName}: bad configuration: ${problems.join('; ')}`);
  }
  return result.output;
}

export interface ReceiverConfig {
  aws: AwsConfig;
  ingestQueueUrl: string;
  lakeBucket: string;
  maxBodyBytes: number;
  maxMessageBytes: number;
}

const ReceiverSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_INGEST_QUEUE_URL: v.pipe(v.string(), v.url()),
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_MAX_BODY_BYTES: optionalInt(MAX_BODY_BYTES.base64, 1),
  HOOKLAKE_MAX_MESSAGE_BYTES: optionalInt(1_000_000, 1024),
});

export function receiverConfig(env: Env): ReceiverConfig {
  const p = parse(ReceiverSchema, env, 'receiver');
  return {
    aws: awsConfig(p),
    ingestQueueUrl: p.HOOKLAKE_INGEST_QUEUE_URL,
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    maxBodyBytes: p.HOOKLAKE_MAX_BODY_BYTES,
    maxMessageBytes: p.HOOKLAKE_MAX_MESSAGE_BYTES,
  };
}

const SecretsSchema = {
  HOOKLAKE_SECRETS_KMS_KEY_ID: v.optional(v.pipe(v.string(), v.minLength(1))),
  HOOKLAKE_LOCAL_SECRET_KEY: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => Buffer.from(text, 'base64').length === 32, 'must be base64 of 32 bytes'),
    ),
  ),
};

const secretsConfig = (p: { HOOKLAKE_SECRETS_KMS_KEY_ID?: string | undefined; HOOKLAKE_LOCAL_SECRET_KEY?: string | undefined }) =>
  p.HOOKLAKE_SECRETS_KMS_KEY_ID === undefined && p.HOOKLAKE_LOCAL_SECRET_KEY === undefined
    ? undefined
    : { kmsKeyId: p.HOOKLAKE_SECRETS_KMS_KEY_ID, localKey: p.HOOKLAKE_LOCAL_SECRET_KEY };

export interface ProcessorConfig {
  aws: AwsConfig;
  lakeBucket: string;
  tableName: string;
  authCacheTtlSeconds: number;
  /** Where built-in events (webhook_received, batch_landed, webhook_rejected) go; unset = none are published. */
  eventsQueueUrl?: string | undefined;
  /** How long the list of subscribed event types is cached, default 10 s. */
  subscriptionCacheSeconds?: number | undefined;
  /** The ingest queue's maxReceiveCount: on a message's last receive, a failed event publish is not retried. */
  ingestMaxReceiveCount: number;
  /** Bytes of claim-checked bodies held at once, default 64 MiB (sized for the 1024 MB function). */
  bodyBudgetBytes?: number | undefined;
  /** Length of a webhook_rejected summary window, default 60 s (shorter only in tests). */
  rejectionSummarySeconds?: number | undefined;
  /** Decrypts pipelines' verification secrets (context {pipelineId}); unset: verifying pipelines' requests are retried. */
  secrets?: SecretsConfig | undefined;
}

const ProcessorSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_AUTH_CACHE_TTL_SECONDS: optionalInt(30),
  HOOKLAKE_EVENTS_QUEUE_URL: v.optional(v.pipe(v.string(), v.url())),
  HOOKLAKE_SUBSCRIPTION_CACHE_SECONDS: optionalInt(10),
  HOOKLAKE_INGEST_MAX_RECEIVE_COUNT: optionalInt(5, 1),
  HOOKLAKE_PROCESSOR_BODY_BUDGET_BYTES: optionalInt(DEFAULT_BODY_BUDGET_BYTES, 1),
  HOOKLAKE_REJECTION_SUMMARY_SECONDS: v.pipe(optionalInt(REJECTION_SUMMARY_WINDOW_SECONDS, 1), v.maxValue(600)),
  ...SecretsSchema,
});

export function processorConfig(env: Env): ProcessorConfig {
  const p = parse(ProcessorSchema, env, 'processor');
  return {
    aws: awsConfig(p),
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    tableName: p.HOOKLAKE_TABLE_NAME,
    authCacheTtlSeconds: p.HOOKLAKE_AUTH_CACHE_TTL_SECONDS,
    eventsQueueUrl: p.HOOKLAKE_EVENTS_QUEUE_URL,
    subscriptionCacheSeconds: p.HOOKLAKE_SUBSCRIPTION_CACHE_SECONDS,
    ingestMaxReceiveCount: p.HOOKLAKE_INGEST_MAX_RECEIVE_COUNT,
    bodyBudgetBytes: p.HOOKLAKE_PROCESSOR_BODY_BUDGET_BYTES,
    rejectionSummarySeconds: p.HOOKLAKE_REJECTION_SUMMARY_SECONDS,
    secrets: secretsConfig(p),
  };
}

/**
 * How signing secrets are encrypted at rest: KMS on AWS (EncryptionContext = subscription id),
 * AES-256-GCM with a local key in the local stack. Exactly one is set where outbound is used.
 */
export interface SecretsConfig {
  kmsKeyId?: string | undefined;
  /** Base64 of 32 bytes. */
  localKey?: string | undefined;
}

/**
 * The outbound settings the API's SubscriptionService needs. Optional on ApiConfig so an API without
 * outbound configured still starts; the operations that need a missing piece fail clearly.
 */
export interface OutboundSettings {
  eventsQueueUrl?: string | undefined;
  secrets?: SecretsConfig | undefined;
  /** Attempt timeout of the connection test, default 5000. */
  deliveryTimeoutMs?: number | undefined;
  deliveryRetentionDays?: number | undefined;
  /** Local stack only: simulated time runs this many times faster (see infra/local/stack.ts). */
  timeScale?: number | undefined;
  /** Local stack only: epoch ms from which simulated time diverges (shared by every function). */
  timeOriginMs?: number | undefined;
}

export interface ApiConfig extends OutboundSettings {
  aws: AwsConfig;
  tableName: string;
  lakeBucket: string;
  /** The sync queue: /v4/syncs runs start there. Unset = no sync routes (they answer 500, logged). */
  syncQueueUrl?: string | undefined;
  allowPrivateTargets: boolean;
  /** Loopback targets: set only by the local stack (infra/local/stack.ts), never from the environment. */
  allowLoopbackTargets?: boolean | undefined;
  /** The Glue database of the lake: typed pipeline views are published there. Unset (local stack) = none. */
  glueDatabase?: string | undefined;
}

const ApiSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_ALLOW_PRIVATE_TARGETS: flag(false),
  HOOKLAKE_EVENTS_QUEUE_URL: v.optional(v.pipe(v.string(), v.url())),
  HOOKLAKE_SYNC_QUEUE_URL: v.optional(v.pipe(v.string(), v.url())),
  ...SecretsSchema,
  HOOKLAKE_DELIVERY_TIMEOUT_MS: optionalInt(5000, 1),
  HOOKLAKE_DELIVERY_RETENTION_DAYS: optionalInt(30, 1),
  HOOKLAKE_GLUE_DATABASE: v.optional(v.pipe(v.string(), v.regex(/^[a-z0-9_]{1,255}$/, 'must be a Glue database name'))),
});

export function apiConfig(env: Env): ApiConfig {
  const p = parse(ApiSchema, env, 'api');
  return {
    aws: awsConfig(p),
    tableName: p.HOOKLAKE_TABLE_NAME,
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    allowPrivateTargets: p.HOOKLAKE_ALLOW_PRIVATE_TARGETS,
    eventsQueueUrl: p.HOOKLAKE_EVENTS_QUEUE_URL,
    syncQueueUrl: p.HOOKLAKE_SYNC_QUEUE_URL,
    secrets: secretsConfig(p),
    deliveryTimeoutMs: p.HOOKLAKE_DELIVERY_TIMEOUT_MS,
    deliveryRetentionDays: p.HOOKLAKE_DELIVERY_RETENTION_DAYS,
    glueDatabase: p.HOOKLAKE_GLUE_DATABASE,
  };
}

export interface FanoutConfig {
  aws: AwsConfig;
  tableName: string;
  eventsQueueUrl: string;
  secrets: SecretsConfig;
  allowPrivateTargets: boolean;
  /** Loopback targets: set only by the local stack (infra/local/stack.ts), never from the environment. */
  allowLoopbackTargets?: boolean | undefined;
  /** One attempt's limit (DNS, connect, answer), default 5000. */
  deliveryTimeoutMs: number;
  /** Deliveries and events are kept this long (DynamoDB TTL; checked on read), default 30. */
  deliveryRetentionDays: number;
  /** Attempts in flight at once in one function instance, default 16. */
  concurrency: number;
  /** Subscription list cache across warm invocations, default 10 s. */
  subscriptionCacheSeconds: number;
  /** Local stack only: simulated time runs this many times faster; SQS delays shrink by as much. */
  timeScale?: number | undefined;
  timeOriginMs?: number | undefined;
  /** The events queue's maxReceiveCount, default 5 (as deployed). */
  maxReceiveCount?: number | undefined;
}

const FanoutSchema = v.pipe(
  v.object({
    ...AwsSchema.entries,
    HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
    HOOKLAKE_EVENTS_QUEUE_URL: v.pipe(v.string(), v.url()),
    ...SecretsSchema,
    HOOKLAKE_ALLOW_PRIVATE_TARGETS: flag(false),
    HOOKLAKE_DELIVERY_TIMEOUT_MS: optionalInt(5000, 1),
    HOOKLAKE_DELIVERY_RETENTION_DAYS: optionalInt(30, 1),
    HOOKLAKE_FANOUT_CONCURRENCY: optionalInt(16, 1),
    HOOKLAKE_SUBSCRIPTION_CACHE_SECONDS: optionalInt(10),
  }),
  v.check(
    (p) => p.HOOKLAKE_SECRETS_KMS_KEY_ID !== undefined || p.HOOKLAKE_LOCAL_SECRET_KEY !== undefined,
    'HOOKLAKE_SECRETS_KMS_KEY_ID or HOOKLAKE_LOCAL_SECRET_KEY is required',
  ),
);

export function fanoutConfig(env: Env): FanoutConfig {
  const p = parse(FanoutSchema, env, 'fanout');
  return {
    aws: awsConfig(p),
    tableName: p.HOOKLAKE_TABLE_NAME,
    eventsQueueUrl: p.HOOKLAKE_EVENTS_QUEUE_URL,
    secrets: secretsConfig(p)!,
    allowPrivateTargets: p.HOOKLAKE_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: p.HOOKLAKE_DELIVERY_TIMEOUT_MS,
    deliveryRetentionDays: p.HOOKLAKE_DELIVERY_RETENTION_DAYS,
    concurrency: p.HOOKLAKE_FANOUT_CONCURRENCY,
    subscriptionCacheSeconds: p.HOOKLAKE_SUBSCRIPTION_CACHE_SECONDS,
  };
}

/**
 * The sync function (functions/sync) and the SyncService wherever it is composed. The engine needs
 * the table, the lake bucket (lake mirror and `syncs/` files), the events queue (delivery jobs) and
 * its own queue; the service also the secrets cipher and the connection test's settings.
 */
export interface SyncConfig {
  aws: AwsConfig;
  tableName: string;
  lakeBucket: string;
  eventsQueueUrl: string;
  syncQueueUrl: string;
  deliveryRetentionDays: number;
  /** Local directory of the lake mirror and the runs' files (on Lambda under /tmp). */
  workDir: string;
  /** What bounds each run's query: memory, threads, disk, time (domain/sync/query-limits.ts). */
  queryLimits: SyncQueryLimits;
  /** Row-ops per chunk (default 1000). */
  chunkSize?: number | undefined;
  /** The lake mirror: bytes it may hold (undefined: no bound) and parallel downloads into it. */
  mirror?: LakeMirrorSettings | undefined;
  /** The lake's hourly compaction, which this function runs too. */
  compaction?: CompactionSettings | undefined;
  /** SyncService only: signing secrets and header values are encrypted at creation. */
  secrets?: SecretsConfig | undefined;
  allowPrivateTargets?: boolean | undefined;
  /** Loopback targets: set only by the local stack, never from the environment. */
  allowLoopbackTargets?: boolean | undefined;
  /** SyncService only: the connection test's timeout, default 5000. */
  deliveryTimeoutMs?: number | undefined;
  /** Local stack only (simulated time, see OutboundSettings). */
  timeScale?: number | undefined;
  timeOriginMs?: number | undefined;
}

export interface LakeMirrorSettings {
  /** HOOKLAKE_SYNC_MIRROR_LIMIT: past it, a run fails before downloading, naming the setting. */
  limitBytes?: number | undefined;
  /** HOOKLAKE_SYNC_DOWNLOAD_CONCURRENCY, default 8 (the deployed function: 32). */
  downloadConcurrency: number;
}

export interface CompactionSettings {
  /** HOOKLAKE_COMPACTION_GRACE_SECONDS: how long replaced objects stay, default 3600. */
  graceMs: number;
  /** HOOKLAKE_COMPACTION_WORK_LIMIT: disk an hour's inputs may take, default 1GiB. */
  workLimitBytes: number;
}

export const DEFAULT_COMPACTION_SETTINGS: CompactionSettings = { graceMs: 3_600_000, workLimitBytes: 1024 ** 3 };
export const DEFAULT_MIRROR_SETTINGS: LakeMirrorSettings = { downloadConcurrency: 8 };

/** What the SyncService needs (the API composes it too): the engine's settings without its work dir and DuckDB limits. */
export type SyncServiceConfig = Omit<SyncConfig, 'workDir' | 'queryLimits' | 'chunkSize' | 'mirror' | 'compaction'>;

const byteSize = v.optional(
  v.pipe(
    v.string(),
    v.transform((text) => parseByteSize(text)),
    v.number('like 512MiB or 2GB'),
    v.minValue(1),
  ),
);

/** The query bounds a sync run gets, from HOOKLAKE_SYNC_* (docs/design.md); each one unset keeps its value in `defaults`. */
const SyncQueryLimitsSchema = v.object({
  HOOKLAKE_SYNC_PROCESS_MEMORY_LIMIT: byteSize,
  HOOKLAKE_SYNC_MEMORY_LIMIT: byteSize,
  HOOKLAKE_SYNC_THREADS: v.optional(v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1))),
  HOOKLAKE_SYNC_TEMP_LIMIT: byteSize,
  HOOKLAKE_SYNC_TIME_LIMIT_SECONDS: v.optional(v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(1))),
});

export function syncQueryLimitsFromEnv(env: Env, defaults: SyncQueryLimits): SyncQueryLimits {
  const p = parse(SyncQueryLimitsSchema, env, 'sync');
  const limits: SyncQueryLimits = {
    processMemoryBytes: p.HOOKLAKE_SYNC_PROCESS_MEMORY_LIMIT ?? defaults.processMemoryBytes,
    duckDbMemoryBytes: p.HOOKLAKE_SYNC_MEMORY_LIMIT ?? defaults.duckDbMemoryBytes,
    threads: p.HOOKLAKE_SYNC_THREADS ?? defaults.threads,
    tempBytes: p.HOOKLAKE_SYNC_TEMP_LIMIT ?? defaults.tempBytes,
    timeLimitMs: p.HOOKLAKE_SYNC_TIME_LIMIT_SECONDS === undefined ? defaults.timeLimitMs : p.HOOKLAKE_SYNC_TIME_LIMIT_SECONDS * 1000,
  };
  const problem = syncQueryLimitsProblem(limits);
  if (problem !== undefined) throw new Error(`sync: bad configuration: ${problem}`);
  return limits;
}

const SyncSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_EVENTS_QUEUE_URL: v.pipe(v.string(), v.url()),
  HOOKLAKE_SYNC_QUEUE_URL: v.pipe(v.string(), v.url()),
  HOOKLAKE_DELIVERY_RETENTION_DAYS: optionalInt(30, 1),
  HOOKLAKE_SYNC_WORK_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), '/tmp/hooklake-sync'),
  HOOKLAKE_SYNC_CHUNK_SIZE: optionalInt(1000, 1),
  ...SecretsSchema,
  HOOKLAKE_ALLOW_PRIVATE_TARGETS: flag(false),
  HOOKLAKE_DELIVERY_TIMEOUT_MS: optionalInt(5000, 1),
});

const LakeSettingsSchema = v.object({
  HOOKLAKE_SYNC_MIRROR_LIMIT: byteSize,
  HOOKLAKE_SYNC_DOWNLOAD_CONCURRENCY: optionalInt(DEFAULT_MIRROR_SETTINGS.downloadConcurrency, 1),
  HOOKLAKE_COMPACTION_GRACE_SECONDS: optionalInt(DEFAULT_COMPACTION_SETTINGS.graceMs / 1000, 0),
  HOOKLAKE_COMPACTION_WORK_LIMIT: byteSize,
});

/** The lake mirror's and compaction's settings (HOOKLAKE_SYNC_MIRROR_LIMIT, …), e.g. for `npm start`. */
export function lakeSettingsFromEnv(env: Env): { mirror: LakeMirrorSettings; compaction: CompactionSettings } {
  const p = parse(LakeSettingsSchema, env, 'sync');
  return {
    mirror: { limitBytes: p.HOOKLAKE_SYNC_MIRROR_LIMIT, downloadConcurrency: p.HOOKLAKE_SYNC_DOWNLOAD_CONCURRENCY },
    compaction: {
      graceMs: p.HOOKLAKE_COMPACTION_GRACE_SECONDS * 1000,
      workLimitBytes: p.HOOKLAKE_COMPACTION_WORK_LIMIT ?? DEFAULT_COMPACTION_SETTINGS.workLimitBytes,
    },
  };
}

export function syncConfig(env: Env): SyncConfig {
  const p = parse(SyncSchema, env, 'sync');
  return {
    aws: awsConfig(p),
    tableName: p.HOOKLAKE_TABLE_NAME,
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    eventsQueueUrl: p.HOOKLAKE_EVENTS_QUEUE_URL,
    syncQueueUrl: p.HOOKLAKE_SYNC_QUEUE_URL,
    deliveryRetentionDays: p.HOOKLAKE_DELIVERY_RETENTION_DAYS,
    workDir: p.HOOKLAKE_SYNC_WORK_DIR,
    queryLimits: syncQueryLimitsFromEnv(env, localSyncQueryLimits(availableParallelism())),
    chunkSize: p.HOOKLAKE_SYNC_CHUNK_SIZE,
    ...lakeSettingsFromEnv(env),
    secrets: secretsConfig(p),
    allowPrivateTargets: p.HOOKLAKE_ALLOW_PRIVATE_TARGETS,
    deliveryTimeoutMs: p.HOOKLAKE_DELIVERY_TIMEOUT_MS,
  };
}

/** Environment variable names, shared with infra so the two cannot drift. */
export const ENV = {
  ingestQueueUrl: 'HOOKLAKE_INGEST_QUEUE_URL',
  lakeBucket: 'HOOKLAKE_LAKE_BUCKET',
  tableName: 'HOOKLAKE_TABLE_NAME',
  maxBodyBytes: 'HOOKLAKE_MAX_BODY_BYTES',
  maxMessageBytes: 'HOOKLAKE_MAX_MESSAGE_BYTES',
  authCacheTtlSeconds: 'HOOKLAKE_AUTH_CACHE_TTL_SECONDS',
  ingestMaxReceiveCount: 'HOOKLAKE_INGEST_MAX_RECEIVE_COUNT',
  /** Processor: bytes of claim-checked bodies held at once. */
  processorBodyBudgetBytes: 'HOOKLAKE_PROCESSOR_BODY_BUDGET_BYTES',
  /** Processor: length of a webhook_rejected summary window in seconds (tests shorten it). */
  rejectionSummarySeconds: 'HOOKLAKE_REJECTION_SUMMARY_SECONDS',
  allowPrivateTargets: 'HOOKLAKE_ALLOW_PRIVATE_TARGETS',
  sqsEndpoint: 'HOOKLAKE_SQS_ENDPOINT',
  s3Endpoint: 'HOOKLAKE_S3_ENDPOINT',
  dynamodbEndpoint: 'HOOKLAKE_DYNAMODB_ENDPOINT',
  /** Tests only: where Glue calls go (no emulator exists; a test records them). */
  glueEndpoint: 'HOOKLAKE_GLUE_ENDPOINT',
  /** Api: the Glue database where typed pipeline views are published. */
  glueDatabase: 'HOOKLAKE_GLUE_DATABASE',
  // Outbound (fan-out). The events queue carries both new events and delivery retries.
  eventsQueueUrl: 'HOOKLAKE_EVENTS_QUEUE_URL',
  /** KMS key that encrypts subscription signing secrets on AWS. */
  secretsKmsKeyId: 'HOOKLAKE_SECRETS_KMS_KEY_ID',
  /** Local stack only: base64 AES-256 key used instead of KMS. */
  localSecretKey: 'HOOKLAKE_LOCAL_SECRET_KEY',
  deliveryTimeoutMs: 'HOOKLAKE_DELIVERY_TIMEOUT_MS',
  deliveryRetentionDays: 'HOOKLAKE_DELIVERY_RETENTION_DAYS',
  fanoutConcurrency: 'HOOKLAKE_FANOUT_CONCURRENCY',
  /** Fan-out and processor: how long the subscription list is cached, default 10 s. */
  subscriptionCacheSeconds: 'HOOKLAKE_SUBSCRIPTION_CACHE_SECONDS',
  // Syncs (functions/sync).
  /** Triggers, run continuations and completion checks of syncs. */
  syncQueueUrl: 'HOOKLAKE_SYNC_QUEUE_URL',
  /** The lake mirror and the runs' files (default /tmp/hooklake-sync). */
  syncWorkDir: 'HOOKLAKE_SYNC_WORK_DIR',
  /** A run's query (domain/sync/query-limits.ts): its process's resident memory, past which the run fails. */
  syncProcessMemoryLimit: SYNC_QUERY_LIMIT_ENV.processMemoryBytes,
  /** DuckDB's memory_limit in it (operators spill beyond it). */
  syncMemoryLimit: SYNC_QUERY_LIMIT_ENV.duckDbMemoryBytes,
  syncThreads: SYNC_QUERY_LIMIT_ENV.threads,
  /** Disk the query may fill in its run directory (also DuckDB's max_temp_directory_size). */
  syncTempLimit: SYNC_QUERY_LIMIT_ENV.tempBytes,
  syncTimeLimitSeconds: SYNC_QUERY_LIMIT_ENV.timeLimitMs,
  syncChunkSize: 'HOOKLAKE_SYNC_CHUNK_SIZE',
  /** Bytes the sync function's lake mirror may hold; a run whose query needs more fails, naming it. */
  syncMirrorLimit: 'HOOKLAKE_SYNC_MIRROR_LIMIT',
  /** Parallel GETs into the lake mirror. */
  syncDownloadConcurrency: 'HOOKLAKE_SYNC_DOWNLOAD_CONCURRENCY',
  /** Seconds objects replaced by a compaction stay (a running Athena query keeps its files). */
  compactionGraceSeconds: 'HOOKLAKE_COMPACTION_GRACE_SECONDS',
  /** Disk an hour's compaction inputs may take in the sync function's work dir. */
  compactionWorkLimit: 'HOOKLAKE_COMPACTION_WORK_LIMIT',
} as const;
