// Composition root of the management API: config in, middy handler out (API Gateway HTTP API,
// payload 2.0). The local stack's gateway calls the same handler.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { subscriptionChanges } from '../../shared/adapters/broadcast/subscription-changes.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { secretCipherFromConfig } from '../../shared/adapters/crypto/secret-cipher.ts';
import { dynamoDeliveryStore } from '../../shared/adapters/dynamodb/delivery-store.ts';
import { dynamoLandedCounts } from '../../shared/adapters/dynamodb/landed-counts.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { dynamoSchemaStore } from '../../shared/adapters/dynamodb/schema-store.ts';
import { dynamoSubscriptionStore } from '../../shared/adapters/dynamodb/subscription-store.ts';
import { createHttpSender, resolverFrom } from '../../shared/adapters/http/sender.ts';
import { s3LakeReader } from '../../shared/adapters/s3/lake-reader.ts';
import { s3LakeSampleReader } from '../../shared/adapters/s3/lake-sample-reader.ts';
import { sqsEventsQueue } from '../../shared/adapters/sqs/queues.ts';
import { managementApi, type ApiDeps } from '../../shared/api/app.ts';
import { consoleAssets, isConsolePath } from '../../shared/api/console-assets.ts';
import { RESPONSE_HEADERS, type ApiRequest, type ApiResponse } from '../../shared/api/router.ts';
import type { ApiConfig, AwsConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import { scaledClock } from '../../shared/domain/delivery/time-scale.ts';
import { log } from '../../shared/logger.ts';
import type { SchemaService, ViewCatalog } from '../../shared/ports/schema.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import type { SyncService } from '../../shared/ports/syncs.ts';
import { createRequestInspector } from '../../shared/services/inspector/request-inspector.ts';
import { createSchemaService } from '../../shared/services/schema/refresh.ts';
import { isSchemaRefreshEvent } from '../../shared/domain/lake/schema.ts';
import { createSubscriptionService, type SubscriptionDeps } from '../../shared/services/subscriptions/service.ts';
import { syncServiceFromConfig } from '../sync/service.ts';
import type * as GlueCatalog from './glue-catalog.ts';

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The subscriptions over the real adapters; nothing is contacted until a method is called.
 * `overrides` replaces single dependencies (tests: a resolver that simulates DNS).
 */
export function createSubscriptions(config: ApiConfig, overrides: Partial<SubscriptionDeps> = {}, dynamodb: DynamoDBClient = dynamoDbClient(config.aws)): SubscriptionService {
  const changes = subscriptionChanges(config);
  const timeScale = config.timeScale ?? 1;
  return createSubscriptionService({
    subscriptions: dynamoSubscriptionStore(dynamodb, config.tableName),
    deliveries: dynamoDeliveryStore(dynamodb, config.tableName),
    queue: config.eventsQueueUrl === undefined ? undefined : sqsEventsQueue(sqsClient(config.aws), config.eventsQueueUrl),
    cipher: secretCipherFromConfig(config.aws, config.secrets),
    sender: createHttpSender({
      allowPrivateTargets: config.allowPrivateTargets,
      allowLoopbackTargets: config.allowLoopbackTargets,
      timeoutMs: config.deliveryTimeoutMs ?? 5000,
    }),
    resolve: resolverFrom(),
    clock: timeScale === 1 ? systemClock : scaledClock(timeScale, config.timeOriginMs ?? Date.now()),
    allowPrivateTargets: config.allowPrivateTargets,
    allowLoopbackTargets: config.allowLoopbackTargets,
    onSubscriptionsChanged: () => changes.notify(),
    ...overrides,
  });
}

/** The SyncService behind /v4/syncs (no DuckDB: runs happen in the sync function), when the sync queue is configured. */
export function createSyncService(config: ApiConfig): SyncService | undefined {
  const { syncQueueUrl, eventsQueueUrl, secrets } = config;
  if (syncQueueUrl === undefined || eventsQueueUrl === undefined || secrets === undefined) return undefined;
  return syncServiceFromConfig({
    aws: config.aws,
    tableName: config.tableName,
    lakeBucket: config.lakeBucket,
    eventsQueueUrl,
    syncQueueUrl,
    deliveryRetentionDays: config.deliveryRetentionDays ?? 30,
    secrets,
    allowPrivateTargets: config.allowPrivateTargets,
    allowLoopbackTargets: config.allowLoopbackTargets,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    timeScale: config.timeScale,
    timeOriginMs: config.timeOriginMs,
  });
}

/** The file glue-catalog.ts becomes in the api's Lambda asset, beside index.mjs (infra/stack.ts builds it). */
export const GLUE_CATALOG_MODULE_FILE = 'glue-catalog.mjs';

/** Loads the Glue view catalog (glue-catalog.ts: the Glue SDK) at the first publication of an instance. */
export type ViewCatalogLoader = (aws: AwsConfig, databaseName: string) => Promise<ViewCatalog>;

/**
 * glue-catalog.ts itself, for the local stack and tests (the handler's bundle loads its
 * glue-catalog.mjs instead). The specifier is computed, so esbuild never inlines the Glue SDK.
 */
export const viewCatalogFromSource: ViewCatalogLoader = async (aws, databaseName) =>
  ((await import(new URL('./glue-catalog.ts', import.meta.url).href)) as typeof GlueCatalog).viewCatalog(aws, databaseName);

/** The Glue database's view catalog; the Glue SDK is loaded at the first publication, not at every cold start. */
function lazyGlueCatalog(config: ApiConfig, databaseName: string, load: ViewCatalogLoader): ViewCatalog {
  let catalog: Promise<ViewCatalog> | undefined;
  return {
    async publish(schema) {
      catalog ??= load(config.aws, databaseName);
      await (await catalog).publish(schema);
    },
  };
}

export interface SchemaOptions {
  dynamodb?: DynamoDBClient;
  nowMs?: () => number;
  /** Default: viewCatalogFromSource. */
  loadViewCatalog?: ViewCatalogLoader;
}

/** Typed tables: the schema refresh over the lake (read-only) and the SCHEMA items; the Athena views where a Glue database is configured. */
export function createSchemas(config: ApiConfig, options: SchemaOptions = {}): SchemaService {
  const dynamodb = options.dynamodb ?? dynamoDbClient(config.aws);
  return createSchemaService({
    store: dynamoSchemaStore(dynamodb, config.tableName),
    lake: s3LakeSampleReader(s3Client(config.aws), config.lakeBucket),
    pipelines: dynamoManagementStore(dynamodb, config.tableName),
    catalog: config.glueDatabase === undefined ? undefined : lazyGlueCatalog(config, config.glueDatabase, options.loadViewCatalog ?? viewCatalogFromSource),
    nowMs: options.nowMs ?? Date.now,
    onError: (pipelineId, error) => log.error('schema refresh failed', { pipelineId, error: error instanceof Error ? error.message : String(error) }),
  });
}

export function apiDeps(config: ApiConfig, loadViewCatalog: ViewCatalogLoader = viewCatalogFromSource): ApiDeps {
  const dynamodb = dynamoDbClient(config.aws);
  return {
    schemas: createSchemas(config, { dynamodb, loadViewCatalog }),
    store: dynamoManagementStore(dynamodb, config.tableName),
    clock: systemClock,
    subscriptions: createSubscriptions(config, {}, dynamodb),
    syncs: createSyncService(config),
    verificationCipher: secretCipherFromConfig(config.aws, config.secrets, 'pipeline'),
    requests: createRequestInspector({
      lake: s3LakeReader(s3Client(config.aws), config.lakeBucket),
      landed: dynamoLandedCounts(dynamodb, config.tableName),
      nowMs: () => systemClock.nowMs(),
    }),
  };
}

const logError = (message: string, detail: Record<string, unknown>) => log.error(message, detail);

/** API Gateway HTTP API (payload 2.0) event → the router's request. */
export function apiRequestFromEvent(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  let path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  // A named stage prefixes rawPath with `/<stage>`; the $default stage does not.
  const stage = event.requestContext?.stage;
  if (stage !== undefined && stage !== '$default' && path.startsWith(`/${stage}/`)) path = path.slice(stage.length + 1);
  return {
    method: event.requestContext?.http?.method ?? 'GET',
    path,
    headers,
    query: new URLSearchParams(event.rawQueryString ?? ''),
    body:
      event.body === undefined || event.body === null
        ? undefined
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body,
  };
}

export function apiResult(response: ApiResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: response.headers, body: response.body };
}

export interface ApiHandlerOptions {
  /** Directory of the built console (index.html, assets/) served under /console/; none: no console. */
  consoleDir?: string | undefined;
  /** How the Glue view catalog is loaded (the bundle's glue-catalog.mjs); default: viewCatalogFromSource. */
  loadViewCatalog?: ViewCatalogLoader;
}

/** The handler over explicit deps (tests, the local stack with its own store). */
export function createApiHandlerWithDeps(deps: ApiDeps, options: ApiHandlerOptions = {}): ApiHandler {
  const api = managementApi({ deps, logError });
  const serveConsole = options.consoleDir === undefined ? undefined : consoleAssets(options.consoleDir);
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .handler(async (event, context) => {
      // The schedule (EventBridge Scheduler) invokes this function with its own message.
      if (isSchemaRefreshEvent(event)) return (await refreshSchemas(deps, context)) as unknown as APIGatewayProxyStructuredResultV2;
      const request = apiRequestFromEvent(event);
      if (serveConsole !== undefined && isConsolePath(request.path)) return apiResult(serveConsole(request.method, request.path));
      return apiResult(await api(request));
    })
    .onError((request) => {
      // Last resort: the router answers every error itself; this catches a malformed event.
      const error = request.error;
      logError('unhandled error in the api handler', {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      request.response = apiResult({ status: 500, headers: { ...RESPONSE_HEADERS }, body: JSON.stringify({ error: 'INTERNAL', message: 'internal error' }) });
    });
  return handler as unknown as ApiHandler;
}

/** The scheduled refresh of every pipeline's schema, within the invocation's time. */
async function refreshSchemas(deps: ApiDeps, context: Context | undefined) {
  if (deps.schemas === undefined) throw new Error('typed tables are not configured');
  const remainingMs = context?.getRemainingTimeInMillis?.() ?? 25_000;
  const result = await deps.schemas.refreshAll(Date.now() + remainingMs);
  log.info('schema refresh', { ...result });
  return result;
}

export function createApiHandler(config: ApiConfig, options: ApiHandlerOptions = {}): ApiHandler {
  return createApiHandlerWithDeps(apiDeps(config, options.loadViewCatalog), options);
}
