// The management API under /v4/: pipelines, ingest tokens and admin credentials (the outbound routes, in
// outbound-api.ts, join them). Route table, request schemas, admin authentication and the JSON
// shapes; storage comes in through the ManagementStore port, outbound through OutboundService.
import * as v from 'valibot';
import type { ManagementStore, TokenInfo } from '../ports/management.ts';
import type { AdminRecord } from '../domain/records.ts';
import { UnknownPipelinesError } from '../ports/management.ts';
import type { OutboundService } from '../ports/outbound.ts';
import { ApiError, handleApiRequest, routeFor, type ApiRequest, type ApiResponse, type Route } from './router.ts';
import type { Clock } from '../domain/clock.ts';
import { adminCredentialId, digestsEqual, sha256Hex } from '../domain/credentials.ts';
import { outboundRoutes } from './outbound-api.ts';
import { REJECTION_REASONS, type PipelineRecord, type RejectionCounts, type RejectionReason } from '../domain/records.ts';

export interface ManagementDeps {
  store: ManagementStore;
  clock: Clock;
  /** Subscriptions, events and deliveries (the outbound delivery engine). */
  outbound: OutboundService;
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

export const CreatePipelineBody = v.strictObject({ name: Name });

export const CreateTokenBody = v.strictObject({
  name: Name,
  /** Absent or null: the token is valid on every pipeline. */
  pipelines: v.nullish(PipelineScope),
});

export const PipelineIdParams = v.object({
  id: v.pipe(
    v.string(),
    v.regex(/^[1-9][0-9]{0,15}$/, 'the pipeline id must be a positive integer'),
    v.transform(Number),
    v.safeInteger('the pipeline id must be a positive integer'),
  ),
});

export const TokenKeyParams = v.object({
  key: v.pipe(v.string(), v.uuid('the token key must be a UUID'), v.toLowerCase()),
});

/** The id inside `hla_<id>_<secret>`: 16 hex characters. */
export const AdminIdParams = v.object({
  id: v.pipe(v.string(), v.toLowerCase(), v.regex(/^[0-9a-f]{16}$/, 'the admin id must be 16 hex characters (the part after hla_)')),
});

// ---- response shapes (snake_case, as the CLI and outside tools read them) ----

export interface PipelineJson {
  pipeline_id: number;
  name: string;
  created_at: string;
}

export interface RejectionDayJson {
  dt: string;
  total: number;
  by_reason: Record<RejectionReason, number>;
}

export interface PipelineDetailJson extends PipelineJson {
  rejected: { total: number; by_reason: Record<RejectionReason, number>; days: RejectionDayJson[] };
}

export interface TokenJson {
  key: string;
  name: string;
  /** null: valid on every pipeline. */
  pipelines: number[] | null;
  created_at: string;
  /** null: active. */
  revoked_at: string | null;
}

export interface CreatedTokenJson extends TokenJson {
  /** Shown once. */
  token: string;
}

/** An admin credential as listed: never the credential or its hash. */
export interface AdminJson {
  id: string;
  name: string;
  created_at: string;
  /** null: active. */
  revoked_at: string | null;
}

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

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

// ---- routes: one line each; the outbound routes (/v4/webhook-subscriptions, /v4/events) close the list ----

const route = routeFor<ManagementDeps>();

export const managementRoutes: Route<ManagementDeps>[] = [
  route('POST', '/v4/pipelines', { body: CreatePipelineBody }, async ({ body, deps }) =>
    ok(pipelineJson(await deps.store.createPipeline({ name: body.name, createdAt: isoNow(deps.clock) })), 201),
  ),
  route('GET', '/v4/pipelines', {}, async ({ deps }) =>
    ok({ pipelines: (await deps.store.listPipelines()).map(pipelineJson) }),
  ),
  route('GET', '/v4/pipelines/{id}', { params: PipelineIdParams }, async ({ params, deps }) => {
    const [pipeline, counts] = await Promise.all([
      deps.store.getPipeline(params.id),
      deps.store.rejectionCounts(params.id, windowStart(deps.clock.nowMs(), REJECTION_DAYS)),
    ]);
    if (pipeline === undefined) throw notFound('pipeline', params.id);
    return ok({ ...pipelineJson(pipeline), rejected: rejectedJson(counts) } satisfies PipelineDetailJson);
  }),
  route('DELETE', '/v4/pipelines/{id}', { params: PipelineIdParams }, async ({ params, deps }) => {
    const deleted = await deps.store.deletePipeline(params.id);
    if (deleted === undefined) throw notFound('pipeline', params.id);
    return ok({ ...pipelineJson(deleted), deleted: true });
  }),

  route('POST', '/v4/tokens', { body: CreateTokenBody }, async ({ body, deps }) => {
    try {
      const created = await deps.store.createToken({
        name: body.name,
        pipelines: body.pipelines ?? undefined,
        createdAt: isoNow(deps.clock),
      });
      return ok({ ...tokenJson(created), token: created.token } satisfies CreatedTokenJson, 201);
    } catch (error) {
      if (error instanceof UnknownPipelinesError) throw new ApiError('UNKNOWN_PIPELINE', error.message);
      throw error;
    }
  }),
  route('GET', '/v4/tokens', {}, async ({ deps }) => {
    const tokens = (await deps.store.listTokens()).sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.key.localeCompare(b.key),
    );
    return ok({ tokens: tokens.map(tokenJson) });
  }),
  route('GET', '/v4/tokens/{key}', { params: TokenKeyParams }, async ({ params, deps }) => {
    const token = await deps.store.getToken(params.key);
    if (token === undefined) throw notFound('token', params.key);
    return ok(tokenJson(token));
  }),
  route('DELETE', '/v4/tokens/{key}', { params: TokenKeyParams }, async ({ params, deps }) => {
    const token = await deps.store.revokeToken(params.key, isoNow(deps.clock));
    if (token === undefined) throw notFound('token', params.key);
    return ok(tokenJson(token));
  }),

  route('GET', '/v4/admins', {}, async ({ deps }) => {
    const admins = (await deps.store.listAdmins()).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return ok({ admins: admins.map(adminJson) });
  }),
  route('DELETE', '/v4/admins/{id}', { params: AdminIdParams }, async ({ params, request, deps }) => {
    // The caller's own credential stays: so there is always one left to call the API with.
    if (params.id === callerAdminId(request)) {
      throw new ApiError('CONFLICT', 'this request is made with that admin credential: revoke it with another one');
    }
    const admin = await deps.store.revokeAdmin(params.id, isoNow(deps.clock));
    if (admin === undefined) throw notFound('admin', params.id);
    return ok(adminJson(admin));
  }),

  ...outboundRoutes,
];

function notFound(what: string, id: string | number): ApiError {
  return new ApiError('NOT_FOUND', `${what} ${id} does not exist`);
}

// ---- admin authentication ----

/** The credential of `Authorization: Bearer <credential>`, if the header has that form. */
export function bearerCredential(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** The admin id of the request's credential (authentication has checked it by then). */
function callerAdminId(request: ApiRequest): string | undefined {
  const credential = bearerCredential(request.headers.authorization);
  return credential === undefined ? undefined : adminCredentialId(credential);
}

/** Compared with when no admin matches, so a miss costs the same hash and compare as a hit. */
const DUMMY_DIGEST = sha256Hex('hooklake: no such admin');

/** True when the request carries a credential whose SHA-256 matches a stored ADMIN item that is not revoked. */
export async function isAdminRequest(
  request: ApiRequest,
  findAdmin: ManagementStore['findAdmin'],
): Promise<boolean> {
  const credential = bearerCredential(request.headers.authorization);
  if (credential === undefined) return false;
  const id = adminCredentialId(credential);
  const admin = id === undefined ? undefined : await findAdmin(id);
  const presented = sha256Hex(credential);
  const matches = digestsEqual(presented, admin?.tokenSha256 ?? DUMMY_DIGEST);
  return admin !== undefined && matches && admin.revokedAt === undefined;
}

export interface ManagementApiOptions<D extends ManagementDeps> {
  deps: D;
  /** More routes (e.g. the outbound API's), served with the same auth and errors. */
  routes?: Route<D>[];
  /** Where unexpected errors are reported (the handler passes the shared logger). */
  logError: (message: string, detail: Record<string, unknown>) => void;
}

/** The whole management API as a function of a decoded request. */
export function managementApi<D extends ManagementDeps>(
  options: ManagementApiOptions<D>,
): (request: ApiRequest) => Promise<ApiResponse> {
  const routes: Route<D>[] = [...managementRoutes, ...(options.routes ?? [])];
  return (request) =>
    handleApiRequest(request, {
      routes,
      deps: options.deps,
      authenticate: (req) => isAdminRequest(req, (id) => options.deps.store.findAdmin(id)),
      logError: options.logError,
    });
}
