// The console's routes over a pipeline's inbound requests: the live list (polled), one request by
// its id, and the daily landed/rejected counts. Reads go through the RequestInspector
// (shared/services/inspector/request-inspector.ts), bounded per call whatever the lake holds.
import * as v from 'valibot';
import { REJECTION_REASONS, type RejectionReason } from '../domain/ingest/records.ts';
import { REQUEST_ID_PATTERN } from '../domain/request-id.ts';
import { MAX_CURSOR_KEYS, MAX_RECENT_ROWS, type RecentCursor, type RequestDetail, type RequestInspector, type RequestSummary } from '../ports/inspector.ts';
import { ApiError } from './errors.ts';
import type { ManagementStore } from '../ports/management.ts';
import type { Clock } from '../domain/clock.ts';
import { rejectedJson, windowStart } from './pipelines.ts';
import { PipelineIdParams } from './schemas.ts';
import { reply, routeFor, type Route } from './router.ts';

export interface RequestApiDeps {
  /** Absent in tests that do not use it: the routes then fail (500, logged). */
  requests?: RequestInspector | undefined;
  store: Pick<ManagementStore, 'getPipeline' | 'rejectionCounts'>;
  clock: Clock;
}

/** Days GET …/stats covers at most. */
export const MAX_STATS_DAYS = 31;
const DEFAULT_RECENT_LIMIT = 100;
const CURSOR_LIST = 'requests';

const RecentQuery = v.strictObject({
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[1-9][0-9]{0,3}$/, `must be an integer from 1 to ${MAX_RECENT_ROWS}`),
      v.transform(Number),
      v.maxValue(MAX_RECENT_ROWS, `must be an integer from 1 to ${MAX_RECENT_ROWS}`),
      v.description(`Requests per answer, 1 to ${MAX_RECENT_ROWS}; default ${DEFAULT_RECENT_LIMIT}.`),
    ),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(2048, 'is not a cursor of this list'),
      v.regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor of this list'),
      v.description('`cursor` of the previous answer: only requests stored since are returned. Absent: the most recent ones.'),
    ),
  ),
});

const CursorPayload = v.strictObject({
  l: v.literal(CURSOR_LIST),
  m: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  s: v.pipe(v.array(v.pipe(v.string(), v.regex(/^[wq][0-9a-f]{12}$/))), v.maxLength(MAX_CURSOR_KEYS)),
});

export function encodeRecentCursor(cursor: RecentCursor): string {
  return Buffer.from(JSON.stringify({ l: CURSOR_LIST, m: cursor.sinceMs, s: cursor.seen }), 'utf8').toString('base64url');
}

export function decodeRecentCursor(text: string): RecentCursor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  const result = v.safeParse(CursorPayload, payload);
  if (!result.success) throw new ApiError('INVALID_REQUEST', `invalid query: cursor is not a cursor of this list (${CURSOR_LIST})`);
  return { sinceMs: result.output.m, seen: result.output.s };
}

const RequestIdFields = {
  requestId: v.pipe(v.string(), v.regex(REQUEST_ID_PATTERN, 'the request id must be 20 lowercase letters (__kdd_request_id)')),
};

const StatsQuery = v.strictObject({
  days: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[1-9][0-9]?$/, `must be an integer from 1 to ${MAX_STATS_DAYS}`),
      v.transform(Number),
      v.maxValue(MAX_STATS_DAYS, `must be an integer from 1 to ${MAX_STATS_DAYS}`),
      v.description(`Days to cover, today (UTC) included, 1 to ${MAX_STATS_DAYS}; default 7.`),
    ),
  ),
});

const Reason = v.pipe(v.nullable(v.picklist(REJECTION_REASONS)), v.description('Why the processor refused it; null when landed.'));

const RequestSummarySchema = v.pipe(
  v.strictObject({
    id: v.pipe(v.string(), v.description('`__kdd_request_id`, as the sender was told.')),
    ts: v.pipe(v.number(), v.description('`__kdd_request_unix_timestamp` (seconds).')),
    status: v.picklist(['landed', 'rejected']),
    reason: Reason,
    method: v.nullable(v.string()),
    content_type: v.nullable(v.string()),
    bytes: v.pipe(v.nullable(v.number()), v.description('Body size in bytes; null when its object was too large to read bodies from.')),
  }),
  v.metadata({ ref: 'InboundRequestSummary' }),
);

const RequestDetailSchema = v.pipe(
  v.strictObject({
    ...RequestSummarySchema.entries,
    body: v.pipe(v.nullable(v.string()), v.description('The stored body text (a rejected request: its first 4 KiB); null when not readable within the bounds.')),
    body_truncated: v.boolean(),
    headers: v.pipe(v.nullable(v.record(v.string(), v.string())), v.description('Request headers as captured, credentials `[redacted]`.')),
    query: v.pipe(
      v.nullable(v.record(v.string(), v.union([v.string(), v.array(v.string())]))),
      v.description('The query data parameters (never pipeline_id, key or token).'),
    ),
  }),
  v.metadata({ ref: 'InboundRequest' }),
);

const ReasonCounts = v.strictObject(
  Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, v.number()])) as Record<RejectionReason, v.NumberSchema<undefined>>,
);

const StatsSchema = v.pipe(
  v.strictObject({
    pipeline_id: v.number(),
    days: v.array(
      v.strictObject({
        dt: v.pipe(v.string(), v.isoDate()),
        landed: v.number(),
        rejected: v.number(),
        rejected_by_reason: ReasonCounts,
      }),
    ),
  }),
  v.description('Rows landed and requests rejected per UTC day, oldest day first, every day of the range present.'),
  v.metadata({ ref: 'PipelineStats' }),
);

function summaryJson(request: RequestSummary): v.InferOutput<typeof RequestSummarySchema> {
  return {
    id: request.id,
    ts: request.ts,
    status: request.status,
    reason: request.reason,
    method: request.method,
    content_type: request.contentType,
    bytes: request.bytes,
  };
}

function detailJson(request: RequestDetail): v.InferOutput<typeof RequestDetailSchema> {
  return { ...summaryJson(request), body: request.body, body_truncated: request.bodyTruncated, headers: request.headers, query: request.query };
}

function inspector(deps: RequestApiDeps): RequestInspector {
  if (deps.requests === undefined) throw new Error('the request inspector is not configured');
  return deps.requests;
}

async function requirePipeline(deps: RequestApiDeps, id: number): Promise<void> {
  if ((await deps.store.getPipeline(id)) === undefined) throw new ApiError('NOT_FOUND', `pipeline ${id} does not exist`);
}

const route = routeFor<RequestApiDeps>();

export const requestRoutes: Route<RequestApiDeps>[] = [
  route({
    method: 'GET',
    path: '/v4/pipelines/{id}/requests',
    operationId: 'listPipelineRequests',
    summary: "A pipeline's recent inbound requests (live view)",
    description:
      'Requests processed in the last 10 minutes, landed or rejected, newest first, read from the lake and the quarantine. Poll with the answer\'s `cursor` for the ones stored since. Each call reads at most 8 objects (24 MiB) and lists at most 3,000 keys per prefix; under a flood it skips ahead to the newest objects and says how many it skipped.',
    tags: ['Pipelines'],
    params: PipelineIdParams,
    query: RecentQuery,
    errors: ['NOT_FOUND'],
    responses: {
      200: {
        description: 'Requests stored since the cursor (or the most recent ones).',
        schema: v.strictObject({
          requests: v.array(RequestSummarySchema),
          cursor: v.pipe(v.string(), v.description('Pass as `cursor` on the next poll.')),
          skipped_objects: v.pipe(v.number(), v.description('New objects not read within this call\'s bounds.')),
        }),
      },
    },
    handle: async ({ params, query, deps }) => {
      const cursor = query.cursor === undefined ? undefined : decodeRecentCursor(query.cursor);
      await requirePipeline(deps, params.id);
      const recent = await inspector(deps).recent(params.id, cursor, query.limit ?? DEFAULT_RECENT_LIMIT);
      return reply(200, { requests: recent.requests.map(summaryJson), cursor: encodeRecentCursor(recent.cursor), skipped_objects: recent.skippedObjects });
    },
  }),
  route({
    method: 'GET',
    path: '/v4/pipelines/{id}/requests/{requestId}',
    operationId: 'getPipelineRequest',
    summary: 'One inbound request by its __kdd_request_id',
    description:
      'Finds a landed or rejected request from its id alone (the id carries its receive second, so only the objects of that time are read), with its body, headers and query. At most 16 objects (24 MiB) are read.',
    tags: ['Pipelines'],
    params: v.object({ ...PipelineIdParams.entries, ...RequestIdFields }),
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The request.', schema: RequestDetailSchema } },
    handle: async ({ params, deps }) => {
      await requirePipeline(deps, params.id);
      const found = await inspector(deps).find(params.id, params.requestId);
      if (found === undefined) throw new ApiError('NOT_FOUND', `request ${params.requestId} was not found in pipeline ${params.id}`);
      return reply(200, detailJson(found));
    },
  }),
  route({
    method: 'GET',
    path: '/v4/pipelines/{id}/stats',
    operationId: 'getPipelineStats',
    summary: 'Rows landed and requests rejected per day',
    tags: ['Pipelines'],
    params: PipelineIdParams,
    query: StatsQuery,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'One entry per UTC day, oldest first.', schema: StatsSchema } },
    handle: async ({ params, query, deps }) => {
      const days = query.days ?? 7;
      const since = windowStart(deps.clock.nowMs(), days);
      const [pipeline, rejected, landed] = await Promise.all([
        deps.store.getPipeline(params.id),
        deps.store.rejectionCounts(params.id, since),
        inspector(deps).landedCounts(params.id, since),
      ]);
      if (pipeline === undefined) throw new ApiError('NOT_FOUND', `pipeline ${params.id} does not exist`);
      const rejectedByDay = new Map(rejectedJson(rejected).days.map((day) => [day.dt, day]));
      const landedByDay = new Map(landed.map((day) => [day.dt, day.landed]));
      const out = [];
      for (let i = days - 1; i >= 0; i--) {
        const dt = windowStart(deps.clock.nowMs(), i + 1);
        const day = rejectedByDay.get(dt);
        out.push({
          dt,
          landed: landedByDay.get(dt) ?? 0,
          rejected: day?.total ?? 0,
          rejected_by_reason: day?.by_reason ?? rejectedJson([]).by_reason,
        });
      }
      return reply(200, { pipeline_id: params.id, days: out });
    },
  }),
];
