// Every environment variable the functions read, parsed once at cold start.
import * as v from 'valibot';

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
});

export interface AwsConfig {
  region: string;
  endpoints: { sqs?: string | undefined; s3?: string | undefined; dynamodb?: string | undefined };
}

function awsConfig(parsed: v.InferOutput<typeof AwsSchema>): AwsConfig {
  return {
    region: parsed.AWS_REGION,
    endpoints: {
      sqs: parsed.HOOKLAKE_SQS_ENDPOINT,
      s3: parsed.HOOKLAKE_S3_ENDPOINT,
      dynamodb: parsed.HOOKLAKE_DYNAMODB_ENDPOINT,
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
  HOOKLAKE_MAX_BODY_BYTES: optionalInt(6_000_000, 1),
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

export interface ProcessorConfig {
  aws: AwsConfig;
  lakeBucket: string;
  tableName: string;
  authCacheTtlSeconds: number;
}

const ProcessorSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_AUTH_CACHE_TTL_SECONDS: optionalInt(30),
});

export function processorConfig(env: Env): ProcessorConfig {
  const p = parse(ProcessorSchema, env, 'processor');
  return {
    aws: awsConfig(p),
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    tableName: p.HOOKLAKE_TABLE_NAME,
    authCacheTtlSeconds: p.HOOKLAKE_AUTH_CACHE_TTL_SECONDS,
  };
}

export interface ApiConfig {
  aws: AwsConfig;
  tableName: string;
  lakeBucket: string;
  allowPrivateTargets: boolean;
}

const ApiSchema = v.object({
  ...AwsSchema.entries,
  HOOKLAKE_TABLE_NAME: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_LAKE_BUCKET: v.pipe(v.string(), v.minLength(3)),
  HOOKLAKE_ALLOW_PRIVATE_TARGETS: flag(false),
});

export function apiConfig(env: Env): ApiConfig {
  const p = parse(ApiSchema, env, 'api');
  return {
    aws: awsConfig(p),
    tableName: p.HOOKLAKE_TABLE_NAME,
    lakeBucket: p.HOOKLAKE_LAKE_BUCKET,
    allowPrivateTargets: p.HOOKLAKE_ALLOW_PRIVATE_TARGETS,
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
  allowPrivateTargets: 'HOOKLAKE_ALLOW_PRIVATE_TARGETS',
  sqsEndpoint: 'HOOKLAKE_SQS_ENDPOINT',
  s3Endpoint: 'HOOKLAKE_S3_ENDPOINT',
  dynamodbEndpoint: 'HOOKLAKE_DYNAMODB_ENDPOINT',
  // Outbound (fan-out). The events queue carries both new events and delivery retries.
  eventsQueueUrl: 'HOOKLAKE_EVENTS_QUEUE_URL',
  /** KMS key that encrypts subscription signing secrets on AWS. */
  secretsKmsKeyId: 'HOOKLAKE_SECRETS_KMS_KEY_ID',
  /** Local stack only: base64 AES-256 key used instead of KMS. */
  localSecretKey: 'HOOKLAKE_LOCAL_SECRET_KEY',
  deliveryTimeoutMs: 'HOOKLAKE_DELIVERY_TIMEOUT_MS',
  deliveryRetentionDays: 'HOOKLAKE_DELIVERY_RETENTION_DAYS',
  fanoutConcurrency: 'HOOKLAKE_FANOUT_CONCURRENCY',
} as const;
