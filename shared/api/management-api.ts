// The management API under /v4/: pipelines, ingest tokens and admin credentials here; the
// outbound routes (outbound-api.ts) and the published contract (openapi.ts) join them in
// API_ROUTES. Request and response schemas (valibot), admin authentication and the JSON shapes;
// storage comes in through the ManagementStore port, outbound through OutboundService.
import type { Hono } from 'hono';
import * as v from 'valibot';
import type { ManagementStore, TokenInfo } from '../ports/management.ts';
import { UnknownPipelinesError } from '../ports/management.ts';
import type { OutboundService } from '../ports/outbound.ts';
import type { SyncService } from '../ports/sync.ts';
import type { RequestInspector } from '../ports/requests.ts';
import type { Clock } from '../domain/clock.ts';
import { adminCredentialId, digestsEqual, sha256Hex } from '../domain/credentials.ts';
import { PIPELINE_ID } from '../domain/id-patterns.ts';
import { REJECTION_REASONS, type AdminRecord, type PipelineRecord, type RejectionCounts, type RejectionReason } from '../domain/records.ts';
import { ApiError } from './errors.ts';
import { openApiRoute } from './openapi.ts';
import { outboundRoutes } from './outbound-api.ts';
import { syncRoutes } from './sync-api.ts';
import { VerificationSchema, verificationJson, verificationRoutes } from './verification-api.ts';
import type { SecretCipher } from '../ports/outbound-engine.ts';
import { requestRoutes } from './requests-api.ts';
import { buildApp, handleRequest, reply, routeFor, type ApiRequest, type ApiResponse, type Route } from './router.ts';
import { NextCursor, PAGE_QUERY, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { IsoTimestamp } from './schemas.ts';

export interface ManagementDeps {
  store: ManagementStore;
  clock: Clock;
  /** Subscriptions, events and deliveries (the outbound delivery engine). */
  outbound: OutboundService;
  /** Syncs (sync-api.ts); absent where the API runs without the sync queue configured. */
  syncs?: SyncService | undefined;
  /** Encrypts pipelines' verification secrets under {pipelineId} (verification-api.ts). */
  verificationCipher?: SecretCipher | undefined;
  /** The console's view of inbound requests (requests-api.ts); absent in tests that do not use it. */
  requests?: RequestInspector | undefined;
}

/** Days of rejection counts GET /v4/pipelines/{id} reports, today (UTC) included. */
export const REJECTION_DAYS = 7;

// ---- request schemas ----

const Name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(200, 'must be at most 200 characters'),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
  v.description('A name for humans: 1 to 200 characters, no control characters (trimmed).'),
);

const PipelineId = v.pipe(
  v.number('must be a number'),
  v.safeInteger('must be a positive integer'),
  v.minValue(1, 'must be a positive integer'),
);

const PipelineScope = v.pipe(
  v.array(PipelineId, 'must be an array of pipeline ids'),
  v.minLength(1, 'must name at least one pipeline (omit it for a token valid on every pipeline)'),
  v.maxLength(100, 'must name at most 100 pipelines'),
  v.transform((ids) => [...new Set(ids)].sort((a, b) => a - b)),
);

export const CreatePipelineBody = v.pipe(v.strictObject({ name: Name }), v.examples([{ name: 'shop' }]));

export const CreateTokenBody = v.pipe(
  v.strictObject({
    name: Name,
    /** Absent or null: the token is valid on every pipeline. */
    pipelines: v.pipe(v.nullish(PipelineScope), v.description('The pipelines the token may write to; absent or null: every pipeline.')),
  }),
  v.examples([{ name: 'shop', pipelines: [1] }]),
);

export const PipelineIdParams = v.object({
  id: v.pipe(
    v.string(),
    v.regex(PIPELINE_ID, 'the pipeline id must be a positive integer'),
    v.transform(Number),
    v.safeInteger('the pipeline id must be a positive integer'),
  ),
});

export const TokenKeyParams = v.object({
  key: v.pipe(v.string(), v.uuid('the token key must be a UUID'), v.toLowerCase()),
});

/** The id inside `hla_<id>_<secret>`: 16 hex characters. */
export const AdminIdParams = v.object({
  id: v.pipe(v.string(), v.toLowerCase(), v.regex(/^[0-9a-fA-F]{16}$/, 'the admin id must be 16 hex characters (the part after hla_)')),
});

/** `limit` and `cursor` of every list; any other query parameter is refused (router.ts). */
const ListQuery = v.strictObject(PAGE_QUERY);

const PIPELINE_PAGES: ListPaging<number> = { list: 'pipelines', key: v.pipe(v.number(), v.safeInteger(), v.minValue(1)) };
const TOKEN_PAGES: ListPaging<string> = { list: 'tokens', key: v.pipe(v.string(), v.uuid()) };
const ADMIN_PAGES: ListPaging<string> = { list: 'admins', key: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/)) };

// ---- response schemas (snake_case, as the CLI and outside tools read them) ----

const RejectionCountsByReason = v.strictObject(
  Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, v.number()])) as Record<RejectionReason, v.NumberSchema<undefined>>,
);

export const PipelineSchema = v.pipe(
  v.strictObject({
    pipeline_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
    name: v.string(),
    created_at: IsoTimestamp,
  }),
  v.metadata({ ref: 'Pipeline' }),
  v.examples([{ pipeline_id: 1, name: 'shop', created_at: '2026-11-20T12:00:00.000Z' }]),
);

export const PipelineDetailSchema = v.pipe(
  v.strictObject({
    ...PipelineSchema.entries,
    rejected: v.pipe(
      v.strictObject({
        total: v.number(),
        by_reason: RejectionCountsByReason,
        days: v.array(v.strictObject({ dt: v.pipe(v.string(), v.isoDate()), total: v.number(), by_reason: RejectionCountsByReason })),
      }),
      v.description(`Requests refused by the processor in the last ${REJECTION_DAYS} days (UTC), per reason, most recent day first.`),
    ),
    verification: v.nullable(VerificationSchema),
  }),
  v.metadata({ ref: 'PipelineDetail' }),
);

export const DeletedPipelineSchema = v.strictObject({ ...PipelineSchema.entries, deleted: v.literal(true) });

export const TokenSchema = v.pipe(
  v.strictObject({
    key: v.pipe(v.string(), v.uuid(), v.description('The key of the webhook URL (a UUID).')),
    name: v.string(),
    pipelines: v.pipe(v.nullable(v.array(v.number())), v.description('null: valid on every pipeline.')),
    created_at: IsoTimestamp,
    revoked_at: v.pipe(v.nullable(IsoTimestamp), v.description('null: active.')),
  }),
  v.metadata({ ref: 'Token' }),
);

export const CreatedTokenSchema = v.pipe(
  v.strictObject({
    ...TokenSchema.entries,
    token: v.pipe(v.string(), v.regex(/^[0-9A-Za-z]+$/), v.description('The token of the webhook URL: shown in this answer only, stored as its SHA-256.')),
  }),
  v.metadata({ ref: 'CreatedToken' }),
);

/** An admin credential as listed: never the credential or its hash. */
export const AdminSchema = v.pipe(
  v.strictObject({
    id: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/), v.description('The id inside `hla_<id>_<secret>`.')),
    name: v.string(),
    created_at: IsoTimestamp,
    revoked_at: v.pipe(v.nullable(IsoTimestamp), v.description('null: active.')),
  }),
  v.metadata({ ref: 'Admin' }),
);

export type PipelineJson = v.InferOutput<typeof PipelineSchema>;
export type PipelineDetailJson = v.InferOutput<typeof PipelineDetailSchema>;
export type RejectionDayJson = PipelineDetailJson['rejected']['days'][number];
export type TokenJson = v.InferOutput<typeof TokenSchema>;
export type CreatedTokenJson = v.InferOutput<typeof CreatedTokenSchema>;
export type AdminJson = v.InferOutput<typeof AdminSchema>;

export function adminJson(record: AdminRecord): AdminJson {
  return { id: record.id, name: record.name, created_at: record.createdAt, revoked_at: record.revokedAt ?? null };
}

export function pipelineJson(record: PipelineRecord): PipelineJson {
  return { pipeline_id: record.id, name: record.name, created_at: record.createdAt };
}

export function tokenJson(info: TokenInfo): TokenJson {
  return {
    key: info.key,
    name: info.name,
    pipelines: info.pipelines ?? null,
    created_at: info.createdAt,
    revoked_at: info.revokedAt ?? null,
  };
}

const zeroReasons = (): Record<RejectionReason, number> =>
  Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, 0])) as Record<RejectionReason, number>;

/** Sums per-day counts (most recent day first, as stored) into the API's `rejected` object. */
export function rejectedJson(days: readonly RejectionCounts[]): PipelineDetailJson['rejected'] {
  const byReason = zeroReasons();
  let total = 0;
  const dayJson = [...days]
    .sort((a, b) => (a.dt < b.dt ? 1 : a.dt > b.dt ? -1 : 0))
    .map((day) => {
      const dayReasons = zeroReasons();
      for (const reason of REJECTION_REASONS) {
        const count = day.byReason[reason] ?? 0;
        dayReasons[reason] = count;
        byReason[reason] += count;
      }
      total += day.total;
      return { dt: day.dt, total: day.total, by_reason: dayReasons };
    });
  return { total, by_reason: byReason, days: dayJson };
}

/** The first UTC day of the `days`-day window that ends today. */
export function windowStart(nowMs: number, days: number): string {
  return new Date(nowMs - (days - 1) * 86_400_000).toISOString().slice(0, 10);
}

const isoNow = (clock: Clock) => new Date(clock.nowMs()).toISOString();

function notFound(what: string, id: string | number): ApiError {
  return new ApiError('NOT_FOUND', `${what} ${id} does not exist`);
}

// ---- routes ----

const route = routeFor<ManagementDeps>();

export const managementRoutes: Route<ManagementDeps>[] = [
  route({
    method: 'POST',
    path: '/v4/pipelines',
    operationId: 'createPipeline',
    summary: 'Create a pipeline',
    description: 'Allocates the next numeric pipeline id (never reused). Webhooks are sent to `/?pipeline_id=<id>&key=…&token=…`.',
    tags: ['Pipelines'],
    body: CreatePipelineBody,
    responses: { 201: { description: 'The new pipeline.', schema: PipelineSchema } },
    handle: async ({ body, deps }) => reply(201, pipelineJson(await deps.store.createPipeline({ name: body.name, createdAt: isoNow(deps.clock) }))),
  }),
  route({
    method: 'GET',
    path: '/v4/pipelines',
    operationId: 'listPipelines',
    summary: 'List pipelines',
    tags: ['Pipelines'],
    query: ListQuery,
    responses: { 200: { description: 'A page of pipelines, in id order.', schema: v.strictObject({ pipelines: v.array(PipelineSchema), next_cursor: NextCursor }) } },
    handle: async ({ query, deps }) => {
      const page = await deps.store.listPipelines(pageRequest(PIPELINE_PAGES, query));
      return reply(200, { pipelines: page.items.map(pipelineJson), next_cursor: nextCursor(PIPELINE_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: '/v4/pipelines/{id}',
    operationId: 'getPipeline',
    summary: 'Get a pipeline with its rejection counts',
    tags: ['Pipelines'],
    params: PipelineIdParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: `The pipeline, with the requests refused in the last ${REJECTION_DAYS} days.`, schema: PipelineDetailSchema } },
    handle: async ({ params, deps }) => {
      const [pipeline, counts] = await Promise.all([
        deps.store.getPipeline(params.id),
        deps.store.rejectionCounts(params.id, windowStart(deps.clock.nowMs(), REJECTION_DAYS)),
      ]);
      if (pipeline === undefined) throw notFound('pipeline', params.id);
      return reply(200, { ...pipelineJson(pipeline), rejected: rejectedJson(counts), verification: verificationJson(pipeline.verification) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/pipelines/{id}',
    operationId: 'deletePipeline',
    summary: 'Delete a pipeline',
    description: 'Its lake data stays. Tokens scoped to it stop being accepted for it.',
    tags: ['Pipelines'],
    params: PipelineIdParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The deleted pipeline.', schema: DeletedPipelineSchema } },
    handle: async ({ params, deps }) => {
      const deleted = await deps.store.deletePipeline(params.id);
      if (deleted === undefined) throw notFound('pipeline', params.id);
      return reply(200, { ...pipelineJson(deleted), deleted: true as const });
    },
  }),

  route({
    method: 'POST',
    path: '/v4/tokens',
    operationId: 'createToken',
    summary: 'Create an ingest key and token',
    description: 'The token is in this answer only; only its SHA-256 is stored.',
    tags: ['Tokens'],
    body: CreateTokenBody,
    errors: ['UNKNOWN_PIPELINE'],
    responses: { 201: { description: 'The new key and token.', schema: CreatedTokenSchema } },
    handle: async ({ body, deps }) => {
      try {
        const created = await deps.store.createToken({
          name: body.name,
          pipelines: body.pipelines ?? undefined,
          createdAt: isoNow(deps.clock),
        });
        return reply(201, { ...tokenJson(created), token: created.token });
      } catch (error) {
        if (error instanceof UnknownPipelinesError) throw new ApiError('UNKNOWN_PIPELINE', error.message);
        throw error;
      }
    },
  }),
  route({
    method: 'GET',
    path: '/v4/tokens',
    operationId: 'listTokens',
    summary: 'List ingest tokens',
    description: 'Never their secrets.',
    tags: ['Tokens'],
    query: ListQuery,
    responses: { 200: { description: 'A page of tokens, in key order.', schema: v.strictObject({ tokens: v.array(TokenSchema), next_cursor: NextCursor }) } },
    handle: async ({ query, deps }) => {
      const page = await deps.store.listTokens(pageRequest(TOKEN_PAGES, query));
      return reply(200, { tokens: page.items.map(tokenJson), next_cursor: nextCursor(TOKEN_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: '/v4/tokens/{key}',
    operationId: 'getToken',
    summary: 'Get an ingest token',
    tags: ['Tokens'],
    params: TokenKeyParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The token (never its secret).', schema: TokenSchema } },
    handle: async ({ params, deps }) => {
      const token = await deps.store.getToken(params.key);
      if (token === undefined) throw notFound('token', params.key);
      return reply(200, tokenJson(token));
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/tokens/{key}',
    operationId: 'revokeToken',
    summary: 'Revoke an ingest token',
    description: 'Idempotent: revoking again keeps the first `revoked_at`.',
    tags: ['Tokens'],
    params: TokenKeyParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The revoked token.', schema: TokenSchema } },
    handle: async ({ params, deps }) => {
      const token = await deps.store.revokeToken(params.key, isoNow(deps.clock));
      if (token === undefined) throw notFound('token', params.key);
      return reply(200, tokenJson(token));
    },
  }),

  route({
    method: 'GET',
    path: '/v4/admins',
    operationId: 'listAdmins',
    summary: 'List admin credentials',
    description: 'Never a credential or its hash.',
    tags: ['Admins'],
    query: ListQuery,
    responses: {
      200: {
        description: 'A page of admin credentials, revoked ones included, in id order.',
        schema: v.strictObject({ admins: v.array(AdminSchema), next_cursor: NextCursor }),
      },
    },
    handle: async ({ query, deps }) => {
      const page = await deps.store.listAdmins(pageRequest(ADMIN_PAGES, query));
      return reply(200, { admins: page.items.map(adminJson), next_cursor: nextCursor(ADMIN_PAGES, page) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/admins/{id}',
    operationId: 'revokeAdmin',
    summary: 'Revoke an admin credential',
    description: 'Idempotent. The revoked credential gets 401 at once. The credential making the call cannot be revoked with itself (409 `CONFLICT`), so one always remains.',
    tags: ['Admins'],
    params: AdminIdParams,
    errors: ['NOT_FOUND', 'CONFLICT'],
    responses: { 200: { description: 'The revoked admin credential.', schema: AdminSchema } },
    handle: async ({ params, request, deps }) => {
      // The caller's own credential stays: so there is always one left to call the API with.
      if (params.id === callerAdminId(request)) {
        throw new ApiError('CONFLICT', 'this request is made with that admin credential: revoke it with another one');
      }
      const admin = await deps.store.revokeAdmin(params.id, isoNow(deps.clock));
      if (admin === undefined) throw notFound('admin', params.id);
      return reply(200, adminJson(admin));
    },
  }),
];

/** Every route of the API, in the order the document lists them. */
export const API_ROUTES: Route<ManagementDeps>[] = [
  openApiRoute(() => API_ROUTES),
  ...managementRoutes,
  ...verificationRoutes<ManagementDeps>(PipelineIdParams),
  ...syncRoutes,
  ...requestRoutes({ PipelineIdParams, rejectedJson, windowStart }),
  ...outboundRoutes,
];

// ---- admin authentication ----

/** The credential of `Authorization: Bearer <credential>`, if the header has that form. */
export function bearerCredential(header: string | null | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** The admin id of the request's credential (authentication has checked it by then). */
function callerAdminId(request: Request): string | undefined {
  const credential = bearerCredential(request.headers.get('authorization'));
  return credential === undefined ? undefined : adminCredentialId(credential);
}

/** Compared with when no admin matches, so a miss costs the same hash and compare as a hit. */
const DUMMY_DIGEST = sha256Hex('hooklake: no such admin');

/** True when the request carries a credential whose SHA-256 matches a stored ADMIN item that is not revoked. */
export async function isAdminRequest(request: Request, findAdmin: ManagementStore['findAdmin']): Promise<boolean> {
  const credential = bearerCredential(request.headers.get('authorization'));
  if (credential === undefined) return false;
  const id = adminCredentialId(credential);
  const admin = id === undefined ? undefined : await findAdmin(id);
  const presented = sha256Hex(credential);
  const matches = digestsEqual(presented, admin?.tokenSha256 ?? DUMMY_DIGEST);
  return admin !== undefined && matches && admin.revokedAt === undefined;
}

export interface ManagementApiOptions {
  deps: ManagementDeps;
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
