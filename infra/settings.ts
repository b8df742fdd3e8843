// The deploy settings: CDK context keys `hooklake:*` (cdk.json, or `cdk deploy -c key=value`),
// their defaults, and every rule AWS would otherwise enforce only at deploy time. All problems are
// reported at once, at synth, each naming its setting.
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { EVENTS_DLQ_RETENTION_DAYS } from './constructs/outbound.ts';
import { FRONT_DOORS, type FrontDoor } from './front-door.ts';

export { FRONT_DOORS, type FrontDoor };

export interface HooklakeSettings {
  /** Let the api and fan-out accept subscription targets on private addresses. */
  allowPrivateTargets: boolean;
  /** Timeout of one outbound delivery attempt (and of the api's connection test), ms. */
  deliveryTimeoutMs: number;
  /** Days the delivery log and stored events are kept (DynamoDB TTL). */
  deliveryRetentionDays: number;
  /** Days quarantined requests are kept. */
  quarantineDays: number;
  /** Seconds the processor's event source waits to fill a batch. */
  maxBatchingWindowSeconds: number;
  /** Records per processor invocation. */
  processorBatchSize: number;
  /** Retention of Lambda and access logs. */
  logRetention: logs.RetentionDays;
  /** Active X-Ray tracing on the functions. */
  tracing: boolean;
  glueDatabaseName: string;
  athenaWorkGroupName: string;
  /** First day (yyyy-MM-dd) Athena projects for `dt`. */
  lakeStartDate: string;
  /** Throttle of the ingest route (`ANY /`), requests/s and burst. */
  ingestThrottleRateLimit: number;
  ingestThrottleBurstLimit: number;
  /** Throttle of the management API (`ANY /v4/{proxy+}`), apart from ingest. */
  managementThrottleRateLimit: number;
  managementThrottleBurstLimit: number;
  /**
   * The account's Lambda concurrency quota the stack is sized for (`aws lambda get-account-settings`
   * → AccountLimit.ConcurrentExecutions). New accounts may have 10.
   */
  lambdaConcurrencyQuota: number;
  /** Concurrency reserved for the api function (also its ceiling); 0 reserves none. */
  apiReservedConcurrency: number;
  /** Most processor invocations the ingest queue's event source runs at once (2-1000). */
  processorMaxConcurrency: number;
  /** Most fan-out invocations the events queue's event source runs at once (2-1000). */
  fanoutMaxConcurrency: number;
  /** Most sync invocations the sync queue's event source runs at once (2-1000). */
  syncMaxConcurrency: number;
  /** E-mail address subscribed to the alarm topic; empty: none (subscribe anything else yourself). */
  alarmEmail: string;
  /**
   * What inbound webhooks reach the receiver through: the HTTP API's `ANY /` route (throttled, one
   * URL for everything), or a Lambda function URL of the receiver (no API Gateway charge).
   */
  frontDoor: FrontDoor;
  /** Concurrency reserved for the receiver (also its ceiling: the flood bound of a function URL); 0 reserves none. */
  receiverReservedConcurrency: number;
  /** Minutes the lake objects a compaction replaced stay before they are removed (a running Athena query keeps its files). */
  compactionGraceMinutes: number;
}


export const DEFAULTS: HooklakeSettings = {
  allowPrivateTargets: false,
  deliveryTimeoutMs: 5000,
  deliveryRetentionDays: 30,
  quarantineDays: 7,
  maxBatchingWindowSeconds: 5,
  processorBatchSize: 100,
  logRetention: logs.RetentionDays.ONE_MONTH,
  tracing: false,
  glueDatabaseName: 'hooklake',
  athenaWorkGroupName: 'hooklake',
  lakeStartDate: '2024-01-01',
  ingestThrottleRateLimit: 500,
  ingestThrottleBurstLimit: 1000,
  managementThrottleRateLimit: 50,
  managementThrottleBurstLimit: 100,
  // Sized for a new account: the three queue consumers (2 + 4 + 2) leave 2 of its 10 for the
  // receiver and the api; raise the quota setting and these on an account with more.
  lambdaConcurrencyQuota: 10,
  apiReservedConcurrency: 0,
  processorMaxConcurrency: 2,
  fanoutMaxConcurrency: 4,
  syncMaxConcurrency: 2,
  alarmEmail: '',
  // API Gateway's throttle bounds a flood on any account; a function URL's only bound is a
  // reservation, which an account with the quota of 10 cannot make (docs/deploy.md, "Front door").
  frontDoor: 'apiGateway',
  receiverReservedConcurrency: 0,
  compactionGraceMinutes: 60,
};

/** CDK context keys (cdk.json or `cdk deploy -c key=value`), one per setting. */
export const CONTEXT_KEYS = {
  allowPrivateTargets: 'hooklake:allowPrivateTargets',
  deliveryTimeoutMs: 'hooklake:deliveryTimeoutMs',
  deliveryRetentionDays: 'hooklake:deliveryRetentionDays',
  quarantineDays: 'hooklake:quarantineDays',
  maxBatchingWindowSeconds: 'hooklake:maxBatchingWindowSeconds',
  processorBatchSize: 'hooklake:processorBatchSize',
  logRetention: 'hooklake:logRetentionDays',
  tracing: 'hooklake:tracing',
  glueDatabaseName: 'hooklake:glueDatabase',
  athenaWorkGroupName: 'hooklake:athenaWorkGroup',
  lakeStartDate: 'hooklake:lakeStartDate',
  ingestThrottleRateLimit: 'hooklake:ingestThrottleRateLimit',
  ingestThrottleBurstLimit: 'hooklake:ingestThrottleBurstLimit',
  managementThrottleRateLimit: 'hooklake:managementThrottleRateLimit',
  managementThrottleBurstLimit: 'hooklake:managementThrottleBurstLimit',
  lambdaConcurrencyQuota: 'hooklake:lambdaConcurrencyQuota',
  apiReservedConcurrency: 'hooklake:apiReservedConcurrency',
  processorMaxConcurrency: 'hooklake:processorMaxConcurrency',
  fanoutMaxConcurrency: 'hooklake:fanoutMaxConcurrency',
  syncMaxConcurrency: 'hooklake:syncMaxConcurrency',
  alarmEmail: 'hooklake:alarmEmail',
  frontDoor: 'hooklake:frontDoor',
  receiverReservedConcurrency: 'hooklake:receiverReservedConcurrency',
  compactionGraceMinutes: 'hooklake:compactionGraceMinutes',
} as const satisfies Record<keyof HooklakeSettings, `hooklake:${string}`>;

/** Context keys that were renamed: naming one fails the synth instead of being ignored. */
const RENAMED_CONTEXT_KEYS: Record<string, string> = {
  'hooklake:throttleRateLimit': CONTEXT_KEYS.ingestThrottleRateLimit,
  'hooklake:throttleBurstLimit': CONTEXT_KEYS.ingestThrottleBurstLimit,
};

/** A setting AWS or the stack cannot take; the message names the context key. */
export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Hooklake settings (cdk.json context or cdk -c) that AWS or the stack would refuse:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

type Kind = 'boolean' | 'integer' | 'string';
const KINDS: Record<keyof HooklakeSettings, Kind> = {
  allowPrivateTargets: 'boolean',
  deliveryTimeoutMs: 'integer',
  deliveryRetentionDays: 'integer',
  quarantineDays: 'integer',
  maxBatchingWindowSeconds: 'integer',
  processorBatchSize: 'integer',
  logRetention: 'integer',
  tracing: 'boolean',
  glueDatabaseName: 'string',
  athenaWorkGroupName: 'string',
  lakeStartDate: 'string',
  ingestThrottleRateLimit: 'integer',
  ingestThrottleBurstLimit: 'integer',
  managementThrottleRateLimit: 'integer',
  managementThrottleBurstLimit: 'integer',
  lambdaConcurrencyQuota: 'integer',
  apiReservedConcurrency: 'integer',
  processorMaxConcurrency: 'integer',
  fanoutMaxConcurrency: 'integer',
  syncMaxConcurrency: 'integer',
  alarmEmail: 'string',
  frontDoor: 'string',
  receiverReservedConcurrency: 'integer',
  compactionGraceMinutes: 'integer',
};

/**
 * Reads the settings from CDK context. Values from `-c` arrive as strings, values from cdk.json
 * keep their JSON type; both are accepted. Unset keys are left out (the stack takes DEFAULTS);
 * an unknown `hooklake:` key (a typo) is refused rather than ignored.
 */
export function propsFromContext(node: Node): Partial<HooklakeSettings> {
  const problems: string[] = [];
  const known = new Set<string>(Object.values(CONTEXT_KEYS));
  for (const key of Object.keys(node.getAllContext?.() ?? {})) {
    if (!key.startsWith('hooklake:') || known.has(key)) continue;
    const renamed = RENAMED_CONTEXT_KEYS[key];
    problems.push(renamed === undefined ? `${key} is not a Hooklake setting (the settings: docs/deploy.md)` : `${key} was renamed to ${renamed}`);
  }
  const props: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(CONTEXT_KEYS) as [keyof HooklakeSettings, string][]) {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined) continue;
    const parsed = parseValue(KINDS[name], value);
    if (parsed === undefined) problems.push(`${key} must be ${KIND_TEXT[KINDS[name]]}, got ${JSON.stringify(value)}`);
    else props[name] = parsed;
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return props as Partial<HooklakeSettings>;
}

const KIND_TEXT: Record<Kind, string> = { boolean: 'true or false', integer: 'a whole number', string: 'text' };

function parseValue(kind: Kind, value: unknown): boolean | number | string | undefined {
  switch (kind) {
    case 'boolean':
      if (value === true || value === 'true' || value === '1' || value === 1) return true;
      if (value === false || value === 'false' || value === '0' || value === 0) return false;
      return undefined;
    case 'integer': {
      if (typeof value !== 'number' && typeof value !== 'string') return undefined;
      const n = typeof value === 'number' ? value : String(value).trim() === '' ? NaN : Number(String(value).trim());
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case 'string':
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  }
}

/** Lambda keeps this much of the account's concurrency unreserved. */
const LAMBDA_MIN_UNRESERVED = 10;
/** Concurrency left for the receiver and the api, which API Gateway invokes directly. */
const HTTP_FUNCTIONS_HEADROOM = 2;
/** The api's connection test sends a ping synchronously inside its 29 s; leave room for the rest. */
const MAX_DELIVERY_TIMEOUT_MS = 20_000;
/** An SQS event source's bounds. */
const SQS_MAX_BATCH_SIZE = 10_000;
const SQS_BATCH_WITHOUT_WINDOW = 10;
const MAX_BATCHING_WINDOW_SECONDS = 300;
const ESM_MAX_CONCURRENCY = { min: 2, max: 1000 };

/** Defaults, then the given settings; refuses, all at once, what AWS or the stack would not take. */
export function resolveSettings(props: Partial<HooklakeSettings>): HooklakeSettings {
  const settings: HooklakeSettings = { ...DEFAULTS, ...stripUndefined(props) };
  const problems = settingsProblems(settings);
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** Every rule, each message naming the context key(s) it is about. */
export function settingsProblems(s: HooklakeSettings): string[] {
  const problems: string[] = [];
  const key = CONTEXT_KEYS;
  const whole = (name: keyof HooklakeSettings, min: number, max = Number.MAX_SAFE_INTEGER, why = ''): boolean => {
    const value = s[name] as number;
    if (Number.isInteger(value) && value >= min && value <= max) return true;
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    problems.push(`${key[name]} must be a whole number ${range}${why}, got ${value}`);
    return false;
  };

  whole('deliveryTimeoutMs', 100, MAX_DELIVERY_TIMEOUT_MS, ' (the connection test must fit in the api function\'s 29 s)');
  // A parked events-DLQ message names an event and a delivery in the table: they must outlive it.
  whole('deliveryRetentionDays', EVENTS_DLQ_RETENTION_DAYS, Number.MAX_SAFE_INTEGER, ' (the events DLQ retention, so a parked message can still be redriven)');
  whole('quarantineDays', 1);
  // Athena's longest query (DML) may run up to its workgroup's limit, 30 minutes by default: a
  // shorter grace could remove files under a running query; a week is plenty.
  whole('compactionGraceMinutes', 0, 7 * 24 * 60, ' (0 removes replaced objects at the next pass; keep at least your longest Athena query)');
  const batchOk = whole('processorBatchSize', 1, SQS_MAX_BATCH_SIZE, " (an SQS event source's batch size)");
  const windowOk = whole('maxBatchingWindowSeconds', 0, MAX_BATCHING_WINDOW_SECONDS, " (Lambda's batching window)");
  if (batchOk && windowOk && s.processorBatchSize > SQS_BATCH_WITHOUT_WINDOW && s.maxBatchingWindowSeconds < 1) {
    problems.push(
      `${key.maxBatchingWindowSeconds} must be at least 1 when ${key.processorBatchSize} is over ${SQS_BATCH_WITHOUT_WINDOW} (Lambda requires a batching window for larger SQS batches), got ${s.maxBatchingWindowSeconds} with a batch size of ${s.processorBatchSize}`,
    );
  }
  if (!(Object.values(logs.RetentionDays) as unknown[]).includes(s.logRetention)) {
    problems.push(`${key.logRetention}: ${s.logRetention} is not a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, … days)`);
  }
  if (!/^[a-z0-9_]{1,255}$/.test(s.glueDatabaseName)) {
    problems.push(`${key.glueDatabaseName} must be 1-255 lowercase letters, digits and _ (a name Athena can query), got ${JSON.stringify(s.glueDatabaseName)}`);
  }
  if (!/^[a-zA-Z0-9._-]{1,128}$/.test(s.athenaWorkGroupName)) {
    problems.push(`${key.athenaWorkGroupName} must be 1-128 letters, digits, '.', '_' or '-' (an Athena workgroup name), got ${JSON.stringify(s.athenaWorkGroupName)}`);
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.lakeStartDate);
  const date = day === null ? undefined : new Date(`${s.lakeStartDate}T00:00:00Z`);
  if (date === undefined || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== s.lakeStartDate) {
    problems.push(`${key.lakeStartDate} must be a date written yyyy-MM-dd, got ${JSON.stringify(s.lakeStartDate)}`);
  } else if (date.getTime() > Date.now()) {
    problems.push(`${key.lakeStartDate} must not be in the future (Athena projects days from it up to today), got ${s.lakeStartDate}`);
  }
  for (const name of ['ingestThrottleRateLimit', 'ingestThrottleBurstLimit', 'managementThrottleRateLimit', 'managementThrottleBurstLimit'] as const) whole(name, 1);

  // Concurrency: nothing may depend on more than the account has. Reservations fail the deploy
  // when they would leave Lambda fewer than 10 unreserved; queue consumers above what is left are
  // throttled, and throttled receives count towards their queue's maxReceiveCount (the DLQ).
  const quotaOk = whole('lambdaConcurrencyQuota', LAMBDA_MIN_UNRESERVED, Number.MAX_SAFE_INTEGER, " (Lambda's smallest account quota)");
  const reservedOk = [
    whole('apiReservedConcurrency', 0, Number.MAX_SAFE_INTEGER, ' (0 reserves none)'),
    whole('receiverReservedConcurrency', 0, Number.MAX_SAFE_INTEGER, ' (0 reserves none)'),
  ].every(Boolean);
  const capsOk = (['processorMaxConcurrency', 'fanoutMaxConcurrency', 'syncMaxConcurrency'] as const)
    .map((name) => whole(name, ESM_MAX_CONCURRENCY.min, ESM_MAX_CONCURRENCY.max, " (an SQS event source's maximum concurrency)"))
    .every(Boolean);
  if (quotaOk && reservedOk) {
    const reserved = s.apiReservedConcurrency + s.receiverReservedConcurrency;
    const reservations = [
      ...(s.apiReservedConcurrency > 0 ? [`${key.apiReservedConcurrency} (${s.apiReservedConcurrency})`] : []),
      ...(s.receiverReservedConcurrency > 0 ? [`${key.receiverReservedConcurrency} (${s.receiverReservedConcurrency})`] : []),
    ];
    if (reserved > s.lambdaConcurrencyQuota - LAMBDA_MIN_UNRESERVED) {
      problems.push(
        `${reservations.join(' + ')} would leave fewer than ${LAMBDA_MIN_UNRESERVED} of ${key.lambdaConcurrencyQuota} (${s.lambdaConcurrencyQuota}) unreserved, which Lambda refuses: reserve at most ${Math.max(0, s.lambdaConcurrencyQuota - LAMBDA_MIN_UNRESERVED)}${reservations.length > 1 ? ' in all' : ''} (check the quota with aws lambda get-account-settings)`,
      );
    } else if (capsOk) {
      const consumers = s.processorMaxConcurrency + s.fanoutMaxConcurrency + s.syncMaxConcurrency;
      const available = s.lambdaConcurrencyQuota - reserved - HTTP_FUNCTIONS_HEADROOM;
      if (consumers > available) {
        problems.push(
          `${key.processorMaxConcurrency} + ${key.fanoutMaxConcurrency} + ${key.syncMaxConcurrency} (${s.processorMaxConcurrency} + ${s.fanoutMaxConcurrency} + ${s.syncMaxConcurrency} = ${consumers}) must leave ${HTTP_FUNCTIONS_HEADROOM} of ${key.lambdaConcurrencyQuota} (${s.lambdaConcurrencyQuota})${reservations.length > 0 ? ` less ${reservations.join(' and ')}` : ''} for the receiver and the api: at most ${available}. Throttled queue consumers push messages towards their DLQs; if the account's quota is higher (aws lambda get-account-settings), set ${key.lambdaConcurrencyQuota}`,
        );
      }
    }
  }
  if (!(FRONT_DOORS as readonly string[]).includes(s.frontDoor)) {
    problems.push(`${key.frontDoor} must be ${FRONT_DOORS.map((door) => `"${door}"`).join(' or ')} (the HTTP API's route, or a Lambda function URL), got ${JSON.stringify(s.frontDoor)}`);
  }
  if (s.alarmEmail !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s.alarmEmail)) {
    problems.push(`${key.alarmEmail} must be an e-mail address (or empty for none), got ${JSON.stringify(s.alarmEmail)}`);
  }
  return problems;
}

export function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
