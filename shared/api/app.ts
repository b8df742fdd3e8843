// The management API under /v4/, put together: every resource's routes (one module each) in the
// order the OpenAPI document lists them, behind admin authentication (auth.ts) as the middleware
// in front of every route but the published contract (openapi.ts). The routes reach storage and
// the services through ports only (ApiDeps); the composition root (functions/api/app.ts, the
// local stack) hands them over.
import type { Hono } from 'hono';
import type { Clock } from '../domain/clock.ts';
import type { SecretCipher } from '../ports/delivery.ts';
import type { RequestInspector } from '../ports/inspector.ts';
import type { ManagementStore } from '../ports/management.ts';
import type { SchemaService } from '../ports/schema.ts';
import type { SubscriptionService } from '../ports/subscriptions.ts';
import type { SyncService } from '../ports/syncs.ts';
import { adminRoutes } from './admins.ts';
import { isAdminRequest } from './auth.ts';
import { eventRoutes } from './events.ts';
import { openApiRoute } from './openapi.ts';
import { pipelineRoutes } from './pipelines.ts';
import { requestRoutes } from './requests.ts';
import { schemaRoutes } from './schema.ts';
import { buildApp, handleRequest, type ApiRequest, type ApiResponse, type Route } from './router.ts';
import { subscriptionRoutes } from './subscriptions.ts';
import { syncRoutes } from './syncs.ts';
import { tokenRoutes } from './tokens.ts';
import { verificationRoutes } from './verification.ts';

export interface ApiDeps {
  store: ManagementStore;
  clock: Clock;
  /** Subscriptions, their events and deliveries. */
  subscriptions: SubscriptionService;
  /** Syncs (syncs.ts); absent where the API runs without the sync queue configured. */
  syncs?: SyncService | undefined;
  /** Encrypts pipelines' verification secrets under {pipelineId} (verification.ts). */
  verificationCipher?: SecretCipher | undefined;
  /** The console's view of inbound requests (requests.ts); absent in tests that do not use it. */
  requests?: RequestInspector | undefined;
  /** Typed tables: each pipeline's inferred schema (schema.ts); absent in tests that do not use it. */
  schemas?: SchemaService | undefined;
}

/** Every route of the API, in the order the document lists them. */
export const API_ROUTES: Route<ApiDeps>[] = [
  openApiRoute(() => API_ROUTES),
  ...pipelineRoutes,
  ...tokenRoutes,
  ...adminRoutes,
  ...verificationRoutes,
  ...syncRoutes,
  ...requestRoutes,
  ...schemaRoutes,
  ...subscriptionRoutes,
  ...eventRoutes,
];

export interface ManagementApiOptions {
  deps: ApiDeps;
  /** Where unexpected errors are reported (the handler passes the shared logger). */
  logError: (message: string, detail: Record<string, unknown>) => void;
}

export interface ManagementApi {
  (request: ApiRequest): Promise<ApiResponse>;
  /** The Hono app itself (tests, other adapters). */
  app: Hono;
}

/** The whole management API as a function of a decoded request. */
export function managementApi(options: ManagementApiOptions): ManagementApi {
  const app = buildApp({
    routes: API_ROUTES,
    deps: options.deps,
    authenticate: (request) => isAdminRequest(request, (id) => options.deps.store.findAdmin(id)),
    logError: options.logError,
  });
  return Object.assign((request: ApiRequest) => handleRequest(app, request), { app });
}
