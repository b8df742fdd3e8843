// The local stack: the same handlers as on AWS, wired to protocol emulators, an HTTP gateway
// and SQS pollers in one process (emulators, and optionally the processor and fan-out, in worker
// threads). `npm start` runs it; the tests start it on free ports.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ResourceLimits } from 'node:worker_threads';
import { join, resolve } from 'node:path';
import { createApiHandler, createSchemas } from '../../functions/api/app.ts';
import { createReceiverHandler, receiverDeps } from '../../functions/receiver/app.ts';
import type { LookupAll } from '../../shared/adapters/http/sender.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { DEFAULT_COMPACTION_SETTINGS, DEFAULT_MIRROR_SETTINGS, type ApiConfig, type AwsConfig, type CompactionSettings, type LakeMirrorSettings, type OutboundSettings } from '../../shared/config.ts';
import { adminCredentialId } from '../../shared/domain/credentials.ts';
import { localSyncQueryLimits, syncQueryLimitsProblem, type SyncQueryLimits } from '../../shared/domain/syncs/query-limits.ts';
import { startEmulators, type EmulatorEndpoints, type Emulators } from './emulators.ts';
import { isLoopbackHost } from '../../shared/domain/delivery/ssrf.ts';
import { DEFAULT_HOST } from './network.ts';
import { prepareDataDir, writePrivateFile } from './state-files.ts';
import { startGateway, type Gateway, type HttpHandler, type Route } from './gateway.ts';
import { startFunctionUrl } from './function-url.ts';
import { FRONT_DOORS, type FrontDoor } from '../front-door.ts';
import { provisionResources, type LocalResources } from './resources.ts';
import { startFunctions, startFunctionsInWorker, type FunctionsSettings } from './functions.ts';
import { startLocalSyncs } from './syncs.ts';
import { fileURLToPath } from 'node:url';

/** Where scripts/build-console.mjs writes the console (npm ci, npm start and npm test build it). */
const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../console/dist/', import.meta.url));
import type { SyncOverrides } from '../../functions/sync/app.ts';
import type { SyncService } from '../../shared/ports/syncs.ts';
import type { RefreshAllResult } from '../../shared/ports/schema.ts';
import { MAX_BODY_BYTES } from '../../shared/domain/ingest/event-limits.ts';

/** How often the local stack refreshes typed tables: as the deployment's schedule. */
export const SCHEMA_REFRESH_INTERVAL_MS = 15 * 60_000;

export interface LocalStackOptions {
  /** State kept across restarts; undefined keeps everything in memory (tests). */
  dataDir?: string;
  port?: number;
  /** The only address the gateway and the emulators listen on (default 127.0.0.1). */
  host?: string;
  /**
   * Where inbound webhooks arrive, as hooklake:frontDoor deploys it: the gateway's `/` route
   * (default), or the receiver's own function URL, served on `receiverPort` with function URL
   * events, while the gateway keeps /v4/ and the console.
   */
  frontDoor?: FrontDoor;
  /** The function URL's port (frontDoor functionUrl); 0 or unset: a free port. */
  receiverPort?: number;
  sqsPort?: number;
  dynamodbPort?: number;
  /**
   * Outbound targets on private and loopback addresses (link-local and metadata stay refused).
   * Default: on for a loopback host, off otherwise (network.ts, privateTargetsPolicy).
   */
  allowPrivateTargets?: boolean;
  /** Processor batching, as the event-source mapping's BatchSize / MaximumBatchingWindow. */
  batchSize?: number;
  batchWindowMs?: number;
  /** Local default is short so failed messages come back quickly. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  authCacheTtlSeconds?: number;
  /** The processor's view of S3 and DynamoDB; fault tests put a proxy there to cut it off. */
  processorEndpoints?: Partial<Pick<EmulatorEndpoints, 's3' | 'dynamodb'>>;
  /**
   * Simulated time for the delivery engine: its clock runs this many times faster and its SQS
   * delays shrink by as much (retry hour and 5-minute suspension in seconds). Default
   * HOOKLAKE_TIME_SCALE or 1. Demos and tests only: simulated time restarts with the stack.
   */
  timeScale?: number;
  /** Attempts in flight in the fan-out (HOOKLAKE_FANOUT_CONCURRENCY), default 16. */
  fanoutConcurrency?: number;
  /** Attempt timeout, default 5000 ms. */
  deliveryTimeoutMs?: number;
  /** Subscription cache of the fan-out and processor (same-process changes invalidate it at once), default 10. */
  subscriptionCacheSeconds?: number;
  /** The fan-out's own private-target setting (default: allowPrivateTargets); tests refuse at delivery time with it. */
  fanoutAllowPrivateTargets?: boolean;
  /** The fan-out's DNS (tests simulate rebinding with it). */
  fanoutLookupAll?: LookupAll;
  /** Visibility timeout of the events queue, default 30. */
  eventsVisibilityTimeoutSeconds?: number;
  /**
   * Run the processor and fan-out (with their pollers) in a worker thread, as separate Lambda
   * instances would be, so batch work does not slow the gateway. `npm start` does; tests that
   * hand the fan-out a function (fanoutLookupAll) cannot.
   */
  functionsInWorker?: boolean;
  /** Heap limits of the functions' worker thread (functionsInWorker only): tests of memory bounds. */
  functionsResourceLimits?: ResourceLimits;
  /** Processor: bytes of claim-checked bodies held at once (HOOKLAKE_PROCESSOR_BODY_BUDGET_BYTES). */
  processorBodyBudgetBytes?: number;
  /** Processor: webhook_rejected summary window in seconds (HOOKLAKE_REJECTION_SUMMARY_SECONDS), default 60. */
  rejectionSummarySeconds?: number;
  /** Syncs: row-ops per chunk (HOOKLAKE_SYNC_CHUNK_SIZE), default 1000. */
  syncChunkSize?: number;
  /** Syncs: real ms between schedule ticks; default one minute of the stack's clock; 0 = none (tests tick by hand). */
  syncTickIntervalMs?: number;
  /** Syncs: visibility timeout of the sync queue (a failed message comes back after it), default 5 s. */
  syncVisibilityTimeoutSeconds?: number;
  /** Syncs: test hooks (a crash point after a chunk). */
  syncOverrides?: SyncOverrides;
  /**
   * Syncs: what bounds a run's query (memory, threads, disk, time); each one unset keeps the local
   * default (localSyncQueryLimits). `npm start` reads them from HOOKLAKE_SYNC_*.
   */
  syncQueryLimits?: Partial<SyncQueryLimits>;
  /** The lake mirror's bound and downloads, compaction's grace period and work limit (defaults in config.ts). */
  lakeSettings?: { mirror?: LakeMirrorSettings; compaction?: Partial<CompactionSettings> };
  /** Real ms between the lake's compaction ticks; default an hour of the stack's clock; 0 = none (tests compact by hand). */
  compactionIntervalMs?: number;
  /**
   * Typed tables: real ms between refreshes of every pipeline's schema (the deployment's schedule
   * runs every 15 minutes); default 15 minutes; 0 = none (tests refresh by hand).
   */
  schemaRefreshIntervalMs?: number;
}

/** What `stack.json` holds (docs/design.md): how tools find the running stack. */
export interface StackInfo {
  /** The management API (`/v4/`) and the console; also the inbound URL with the default front door. */
  apiUrl: string;
  /** Where webhooks are posted (`?pipeline_id=&key=&token=`): apiUrl, or the receiver's function URL. */
  inboundUrl: string;
  frontDoor: FrontDoor;
  adminToken: string;
  region: string;
  endpoints: { sqs: string; s3: string; dynamodb: string };
  resources: LocalResources;
  allowPrivateTargets: boolean;
  /** Base64 AES-256 key that encrypts signing secrets locally (HOOKLAKE_LOCAL_SECRET_KEY); kept across restarts. */
  localSecretKey: string;
  /** Simulated time factor of the delivery engine (1 = real time). */
  timeScale: number;
}

export interface LocalStack {
  info: StackInfo;
  /** Path of stack.json, when the stack has a data dir. */
  stackFile?: string;
  /** The configuration the management API runs with (tests build a SubscriptionService from it). */
  apiConfig: ApiConfig;
  /** Syncs: the same service the management API composes behind /v4/syncs (tests call it directly). */
  syncs: SyncService;
  /** Queues a schedule tick now (tests). */
  syncTick(): Promise<void>;
  /** Queues a compaction tick now (tests): the sync function compacts the due hours of the last `days` days. */
  compactionTick(days?: number): Promise<void>;
  /** Refreshes every pipeline's schema now, as the schedule does (tests). */
  refreshSchemas(): Promise<RefreshAllResult>;
  /** Set when the processor/fan-out worker thread died (functionsInWorker). */
  functionsFailure(): Error | undefined;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) prepareDataDir(dataDir);
  const host = options.host ?? DEFAULT_HOST;
  const allowPrivateTargets = options.allowPrivateTargets ?? isLoopbackHost(host);

  const emulators: Emulators = await startEmulators({
    ...(dataDir === undefined ? {} : { dataDir }),
    host,
    sqsPort: options.sqsPort ?? 0,
    dynamodbPort: options.dynamodbPort ?? 0,
  });
  const stoppers: (() => Promise<void>)[] = [() => emulators.stop()];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => console.error(error));
  };

  try {
    const { endpoints } = emulators;
    const ingestMaxReceiveCount = options.maxReceiveCount ?? 5;
    const resources = await provisionResources(endpoints, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 5,
      maxReceiveCount: ingestMaxReceiveCount,
      eventsVisibilityTimeoutSeconds: options.eventsVisibilityTimeoutSeconds ?? 30,
    });
    const aws = awsConfig(endpoints);
    const stackFile = dataDir === undefined ? undefined : join(dataDir, 'stack.json');
    const previous = stackFile === undefined ? undefined : readPreviousInfo(stackFile);
    const localSecretKey = previous?.localSecretKey ?? randomBytes(32).toString('base64');
    const timeScale = options.timeScale ?? timeScaleFromEnv();
    const outbound: OutboundSettings = {
      eventsQueueUrl: resources.eventsQueueUrl,
      secrets: { localKey: localSecretKey },
      deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
      deliveryRetentionDays: 30,
      timeScale,
      timeOriginMs: Date.now(),
    };

    const receiverResources = receiverDeps(
      {
        aws,
        ingestQueueUrl: resources.ingestQueueUrl,
        lakeBucket: resources.lakeBucket,
        maxBodyBytes: MAX_BODY_BYTES.base64,
        maxMessageBytes: 1_000_000,
      },
      // The source module, imported on the first large body as the Lambda imports its claims.mjs.
      async (claimsAws) => (await import('../../functions/receiver/claims.ts')).claimStore(claimsAws),
    );
    stoppers.push(async () => receiverResources.close());
    const receiver = createReceiverHandler(receiverResources) as HttpHandler;
    const apiConfig: ApiConfig = {
      aws,
      tableName: resources.tableName,
      lakeBucket: resources.lakeBucket,
      allowPrivateTargets,
      // Only the local stack admits loopback targets (a receiver on this machine); never a deployment.
      allowLoopbackTargets: allowPrivateTargets,
      ...outbound,
    };
    const functionsSettings: FunctionsSettings = {
      aws,
      processor: {
        aws: { ...aws, endpoints: { ...aws.endpoints, ...options.processorEndpoints } },
        lakeBucket: resources.lakeBucket,
        tableName: resources.tableName,
        authCacheTtlSeconds: options.authCacheTtlSeconds ?? 5,
        eventsQueueUrl: resources.eventsQueueUrl,
        subscriptionCacheSeconds: options.subscriptionCacheSeconds ?? 10,
        ingestMaxReceiveCount,
        bodyBudgetBytes: options.processorBodyBudgetBytes,
        rejectionSummarySeconds: options.rejectionSummarySeconds,
        secrets: { localKey: localSecretKey },
      },
      fanout: {
        aws,
        tableName: resources.tableName,
        eventsQueueUrl: resources.eventsQueueUrl,
        secrets: { localKey: localSecretKey },
        allowPrivateTargets: options.fanoutAllowPrivateTargets ?? allowPrivateTargets,
        allowLoopbackTargets: options.fanoutAllowPrivateTargets ?? allowPrivateTargets,
        deliveryTimeoutMs: outbound.deliveryTimeoutMs!,
        deliveryRetentionDays: outbound.deliveryRetentionDays!,
        concurrency: options.fanoutConcurrency ?? 16,
        subscriptionCacheSeconds: options.subscriptionCacheSeconds ?? 10,
        timeScale,
        timeOriginMs: outbound.timeOriginMs,
        maxReceiveCount: ingestMaxReceiveCount, // both local queues share the redrive count
      },
      ingestQueueUrl: resources.ingestQueueUrl,
      eventsQueueUrl: resources.eventsQueueUrl,
      batchSize: options.batchSize ?? 100,
      batchWindowMs: options.batchWindowMs ?? 200,
    };
    if (options.functionsInWorker === true && options.fanoutLookupAll !== undefined) {
      throw new Error('fanoutLookupAll is a function and cannot cross to the functions worker');
    }
    const functions =
      options.functionsInWorker === true
        ? await startFunctionsInWorker(functionsSettings, options.functionsResourceLimits)
        : await startFunctions(
            functionsSettings,
            options.fanoutLookupAll === undefined ? {} : { fanoutLookupAll: options.fanoutLookupAll },
          );
    stoppers.push(() => functions.stop());

    const syncQueryLimits: SyncQueryLimits = { ...localSyncQueryLimits(availableParallelism()), ...options.syncQueryLimits };
    const limitsProblem = syncQueryLimitsProblem(syncQueryLimits);
    if (limitsProblem !== undefined) throw new Error(`syncQueryLimits: ${limitsProblem}`);
    const syncs = await startLocalSyncs({
      config: {
        aws,
        tableName: resources.tableName,
        lakeBucket: resources.lakeBucket,
        eventsQueueUrl: resources.eventsQueueUrl,
        deliveryRetentionDays: outbound.deliveryRetentionDays!,
        chunkSize: options.syncChunkSize,
        queryLimits: syncQueryLimits,
        mirror: options.lakeSettings?.mirror ?? DEFAULT_MIRROR_SETTINGS,
        compaction: { ...DEFAULT_COMPACTION_SETTINGS, ...options.lakeSettings?.compaction },
        secrets: { localKey: localSecretKey },
        allowPrivateTargets,
        allowLoopbackTargets: allowPrivateTargets,
        deliveryTimeoutMs: outbound.deliveryTimeoutMs,
        timeScale,
        timeOriginMs: outbound.timeOriginMs,
      },
      workDir: dataDir === undefined ? undefined : join(dataDir, 'syncs'),
      visibilityTimeoutSeconds: options.syncVisibilityTimeoutSeconds ?? 5,
      maxReceiveCount: ingestMaxReceiveCount,
      tickIntervalMs: options.syncTickIntervalMs,
      compactionIntervalMs: options.compactionIntervalMs,
      overrides: options.syncOverrides,
    });
    stoppers.push(() => syncs.stop());
    // The api composes its own SyncService from its config, as the deployed function does.
    apiConfig.syncQueueUrl = syncs.syncQueueUrl;
    const api = createApiHandler(apiConfig, { consoleDir: CONSOLE_DIST_DIR }) as unknown as HttpHandler;

    const frontDoor = options.frontDoor ?? 'apiGateway';
    if (!FRONT_DOORS.includes(frontDoor)) throw new Error(`frontDoor must be ${FRONT_DOORS.join(' or ')}, got ${String(frontDoor)}`);
    const routes: Route[] = [
      // As the deployment routes them: ANY /v4/{proxy+}, GET /console and /console/{proxy+} to the api function.
      { prefix: '/v4/', exact: false, routeKey: 'ANY /v4/{proxy+}', handler: api },
      { prefix: '/console', exact: true, routeKey: 'GET /console', handler: api },
      { prefix: '/console/', exact: false, routeKey: 'GET /console/{proxy+}', handler: api },
    ];
    if (frontDoor === 'apiGateway') routes.unshift({ prefix: '/', exact: true, routeKey: 'ANY /', handler: receiver });
    const gateway: Gateway = await startGateway(routes, options.port ?? 3000, host);
    stoppers.push(() => gateway.close());
    let inboundUrl = gateway.url;
    if (frontDoor === 'functionUrl') {
      const functionUrl = await startFunctionUrl(receiver, options.receiverPort ?? 0, host);
      stoppers.push(() => functionUrl.close());
      inboundUrl = functionUrl.url;
    }

    // Typed tables: the schedule's refresh, in this process (the deployment's EventBridge schedule
    // invokes the api function). A run takes a minute at most; a slow one skips the next tick.
    const schemas = createSchemas(apiConfig);
    let refreshing: Promise<RefreshAllResult> | undefined;
    const refreshSchemas = () => (refreshing ??= schemas.refreshAll(Date.now() + 60_000).finally(() => (refreshing = undefined)));
    const schemaInterval = options.schemaRefreshIntervalMs ?? SCHEMA_REFRESH_INTERVAL_MS;
    const schemaTimer = schemaInterval > 0 ? setInterval(() => void refreshSchemas().catch((error: unknown) => console.error(error)), schemaInterval) : undefined;
    schemaTimer?.unref();
    stoppers.push(async () => {
      if (schemaTimer !== undefined) clearInterval(schemaTimer);
      await refreshing?.catch(() => undefined);
    });

    const adminToken = await ensureAdminCredential(aws, resources.tableName, previous?.adminToken);
    const info: StackInfo = {
      apiUrl: gateway.url,
      inboundUrl,
      frontDoor,
      adminToken,
      region: endpoints.region,
      endpoints: { sqs: endpoints.sqs, s3: endpoints.s3, dynamodb: endpoints.dynamodb },
      resources,
      allowPrivateTargets,
      localSecretKey,
      timeScale,
    };
    if (stackFile !== undefined) writePrivateFile(stackFile, `${JSON.stringify(info, null, 2)}\n`);
    return {
      info,
      ...(stackFile === undefined ? {} : { stackFile }),
      apiConfig,
      syncs: syncs.service,
      syncTick: () => syncs.tick(),
      compactionTick: (days) => syncs.compactionTick(days),
      refreshSchemas,
      functionsFailure: () => functions.failure,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function awsConfig(endpoints: EmulatorEndpoints): AwsConfig {
  return {
    region: endpoints.region,
    endpoints: { sqs: endpoints.sqs, s3: endpoints.s3, dynamodb: endpoints.dynamodb },
  };
}


/** Reuses the credential from a previous run when its hashed item is still in the table, not revoked. */
async function ensureAdminCredential(aws: AwsConfig, tableName: string, previous: string | undefined): Promise<string> {
  const dynamodb = dynamoDbClient(aws);
  try {
    const store = dynamoManagementStore(dynamodb, tableName);
    const previousId = previous === undefined ? undefined : adminCredentialId(previous);
    const found = previousId === undefined ? undefined : await store.findAdmin(previousId);
    if (previous !== undefined && found !== undefined && found.revokedAt === undefined) return previous;
    return (await store.createAdmin({ name: 'local', createdAt: new Date().toISOString() })).credential;
  } finally {
    dynamodb.destroy();
  }
}

function readPreviousInfo(stackFile: string): Partial<StackInfo> | undefined {
  try {
    return JSON.parse(readFileSync(stackFile, 'utf8')) as Partial<StackInfo>;
  } catch {
    return undefined;
  }
}

function timeScaleFromEnv(): number {
  const raw = process.env.HOOKLAKE_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 1) throw new Error(`HOOKLAKE_TIME_SCALE must be a number ≥ 1, got '${raw}'`);
  return value;
}
