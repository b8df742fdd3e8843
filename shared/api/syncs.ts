// Syncs under /v4/syncs: a query over the lake sent row by row to a webhook, valmi's way.
// Request and response schemas and JSON shapes (snake_case, as the CLI prints them: `run_id`,
// `next_cursor`) here; everything else through SyncService (shared/ports/syncs.ts). A run is only
// started here (202 at once); it happens in the sync function, and its record is read back. A
// sync's delivery log answers the one form of a delivery (destinations.ts), as a subscription's.
import * as v from 'valibot';
import { REDACTED_HEADER_VALUE } from '../domain/delivery/header-policy.ts';
import { SYNC_LIMITS, SYNC_MODES, SYNC_OPS } from '../domain/syncs/definition.ts';
import { RUN_ID, SYNC_ID } from '../domain/syncs/ids.ts';
import { MAX_EVERY_MINUTES, type SyncSchedule } from '../domain/syncs/schedule.ts';
import type { ManagementStore } from '../ports/management.ts';
import type { ConnectionTestResult, Delivery } from '../ports/delivery.ts';
import { SyncError, type Sync, type SyncInput, type SyncRun, type SyncService } from '../ports/syncs.ts';
import { DELIVERY_FIELDS, DELIVERY_ID, Format, Headers, Method, WebhookUrl, deliveryFieldsJson, deliveryLogRoutes } from './destinations.ts';
import { ApiError, MAX_REQUEST_BODY_BYTES, type ApiErrorCode } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery, PipelineId } from './schemas.ts';

/** What the sync routes need; ApiDeps provides it. */
export interface SyncApiDeps {
  /** Absent when the API runs without the sync queue configured: the routes then fail (500, logged). */
  syncs?: SyncService | undefined;
  /** To refuse a pipeline scope naming a pipeline that does not exist. */
  store: Pick<ManagementStore, 'getPipeline'>;
}

/** Body limit of POST /v4/syncs: the largest SQL plus room for the rest of the definition. */
export const MAX_SYNC_BODY_BYTES = SYNC_LIMITS.sqlBytes + MAX_REQUEST_BODY_BYTES;

// ---- request schemas (the service validates the definition again: one definition of each rule) ----

const noControl = v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');

const Name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(SYNC_LIMITS.nameLength, `must be at most ${SYNC_LIMITS.nameLength} characters`),
  noControl,
);

const Sql = v.pipe(
  v.string('must be a string'),
  v.check((sql) => sql.trim().length > 0, 'must not be empty'),
  v.check((sql) => Buffer.byteLength(sql, 'utf8') <= SYNC_LIMITS.sqlBytes, `must be at most ${SYNC_LIMITS.sqlBytes} bytes`),
  v.description(
    'One SELECT over the lake, with the views and dialect of `hooklake query` (`webhooks`, `webhooks_raw`). Only its size is checked here: a query that fails fails the run, with the engine\'s message in the run\'s `error`.',
  ),
);

const Column = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  v.maxLength(SYNC_LIMITS.identifierLength, `must be at most ${SYNC_LIMITS.identifierLength} characters`),
  noControl,
);

const Mapping = v.pipe(
  v.array(v.strictObject({ source: Column, destination: Column }), 'must be an array of {source, destination}'),
  v.maxLength(SYNC_LIMITS.mappings, `must have at most ${SYNC_LIMITS.mappings} pairs`),
  v.description('Which result columns are sent, under which field names; unmapped columns are dropped. Absent or empty: every column under its own name.'),
);

const Schedule = v.pipe(
  v.variant(
    'kind',
    [
      v.strictObject({ kind: v.literal('manual') }),
      v.strictObject({
        kind: v.literal('every'),
        minutes: v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(1, 'must be at least 1'), v.maxValue(MAX_EVERY_MINUTES, `must be at most ${MAX_EVERY_MINUTES}`)),
      }),
      v.strictObject({ kind: v.literal('cron'), expression: v.pipe(v.string('must be a string'), v.maxLength(256, 'must be at most 256 characters')) }),
    ],
    'must be {"kind": "manual"}, {"kind": "every", "minutes": N} or {"kind": "cron", "expression": "..."}',
  ),
  v.description(
    '`manual` (default); `every` N minutes, counted from creation or the last enabling; or `cron`, an EventBridge Scheduler expression in UTC (`0 * * * ? *`).',
  ),
);

export const CreateSyncBody = v.pipe(
  v.strictObject({
    name: Name,
    sql: Sql,
    primary_key: v.pipe(Column, v.description('A column of the query\'s result that identifies a row.')),
    mode: v.pipe(v.picklist(SYNC_MODES, `must be one of ${SYNC_MODES.join(', ')}`), v.description('valmi\'s destination modes (docs/syncs.md, "Modes").')),
    webhook_url: WebhookUrl,
    webhook_http_method: v.optional(Method, 'POST'),
    format: v.optional(Format),
    mapping: v.optional(Mapping),
    headers: v.optional(Headers),
    schedule: v.optional(Schedule),
    pipeline_id: v.pipe(v.nullish(PipelineId), v.description('The only pipeline the query sees (less to copy); absent or null: the whole lake.')),
    enabled: v.optional(v.boolean('must be true or false')),
    skip_test: v.pipe(v.optional(v.boolean('must be true or false')), v.description('Create it without the connection test (a signed `ping` that must answer 2xx).')),
  }),
  v.examples([
    {
      name: 'crm',
      sql: "select customer_id, first_name, email from webhooks where pipeline_id = 3",
      primary_key: 'customer_id',
      mode: 'upsert',
      webhook_url: 'https://crm.example.com/hook',
      webhook_http_method: 'POST',
      mapping: [{ source: 'first_name', destination: 'my_first_name' }],
      schedule: { kind: 'every', minutes: 15 },
    },
  ]),
);

export const UpdateSyncBody = v.strictObject({ enabled: v.boolean('must be true or false') });

export const SyncParams = v.object({
  id: v.pipe(v.string(), v.regex(SYNC_ID, 'the sync id must look like syn_ followed by 20 hex digits')),
});

export const SyncRunParams = v.object({
  ...SyncParams.entries,
  runId: v.pipe(v.string(), v.regex(RUN_ID, 'the run id must look like run_ followed by 9 base-36 digits, _ and 8 hex digits')),
});


const SYNC_PAGES: ListPaging<string> = { list: 'syncs', key: v.pipe(v.string(), v.regex(SYNC_ID)) };
const RUN_PAGES: ListPaging<string> = { list: 'sync-runs', key: v.pipe(v.string(), v.regex(RUN_ID)) };
const DELIVERY_PAGES: ListPaging<string> = { list: 'sync-deliveries', key: v.pipe(v.string(), v.regex(DELIVERY_ID)) };

// ---- response schemas ----

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

export const SyncSchema = v.pipe(
  v.strictObject({
    id: v.pipe(v.string(), v.regex(SYNC_ID)),
    name: v.string(),
    sql: v.string(),
    primary_key: v.string(),
    mode: v.picklist(SYNC_MODES),
    mapping: v.pipe(v.array(v.strictObject({ source: v.string(), destination: v.string() })), v.description('Empty: every column under its own name.')),
    webhook_url: v.string(),
    webhook_http_method: v.picklist(['POST', 'GET']),
    format: v.picklist(['json', 'form']),
    headers: v.pipe(
      v.record(v.string(), v.literal(REDACTED_HEADER_VALUE)),
      v.description('Custom header names, each with the value `***`: values are never shown after they are set.'),
    ),
    schedule: v.variant('kind', [
      v.strictObject({ kind: v.literal('manual') }),
      v.strictObject({ kind: v.literal('every'), minutes: v.number() }),
      v.strictObject({ kind: v.literal('cron'), expression: v.string() }),
    ]),
    pipeline_id: v.pipe(v.nullable(v.number()), v.description('null: the query sees the whole lake.')),
    enabled: v.boolean(),
    created_at: IsoTimestamp,
    updated_at: IsoTimestamp,
    next_run_at: v.pipe(v.nullable(IsoTimestamp), v.description('When the schedule fires next; null for a manual or disabled sync.')),
    active_run_id: v.pipe(v.nullable(v.string()), v.description('The run in progress, if any (runs of one sync never overlap).')),
  }),
  v.metadata({ ref: 'Sync' }),
);

export const SyncConnectionTestSchema = v.pipe(
  v.strictObject({
    ok: v.pipe(v.boolean(), v.description('The endpoint answered the signed ping 2xx in time.')),
    status_code: v.nullable(v.number()),
    latency_ms: v.number(),
    error_class: v.nullable(v.string()),
    response_snippet: v.pipe(v.nullable(v.string()), v.description('The first 1 KB of the answer.')),
  }),
  v.metadata({ ref: 'SyncConnectionTest' }),
);

export const CreatedSyncSchema = v.pipe(
  v.strictObject({
    ...SyncSchema.entries,
    secret: v.pipe(v.string(), v.regex(/^whsec_/), v.description('The Standard Webhooks signing secret of every request of this sync: in this answer only.')),
    connection_test: v.pipe(v.nullable(SyncConnectionTestSchema), v.description('How the endpoint answered the signed ping; null with skip_test.')),
  }),
  v.metadata({ ref: 'CreatedSync' }),
);

export const DeletedSyncSchema = v.strictObject({ ...SyncSchema.entries, deleted: v.literal(true) });

const OpCountsSchema = v.pipe(
  v.strictObject(Object.fromEntries(SYNC_OPS.map((op) => [op, Count])) as Record<(typeof SYNC_OPS)[number], typeof Count>),
  v.description('Row-ops of the run by `_valmi_sync_op`: what the destination is sent.'),
);

export const SyncRunSchema = v.pipe(
  v.strictObject({
    run_id: v.pipe(v.string(), v.regex(RUN_ID)),
    sync_id: v.pipe(v.string(), v.regex(SYNC_ID)),
    status: v.pipe(
      v.picklist(['running', 'delivering', 'succeeded', 'failed']),
      v.description('`running` (querying, queueing row-ops), `delivering` (waiting for every delivery), then `succeeded` or `failed`.'),
    ),
    trigger: v.picklist(['manual', 'schedule']),
    started_at: IsoTimestamp,
    enqueued_at: v.pipe(v.nullable(IsoTimestamp), v.description('When the last row-op was queued.')),
    finished_at: v.nullable(IsoTimestamp),
    error: v.pipe(v.nullable(v.string()), v.description('Why it failed: the query engine\'s message, or how many deliveries failed.')),
    rows: v.pipe(Count, v.description('Rows the query returned.')),
    counts: OpCountsSchema,
    failed_rows: v.pipe(
      v.strictObject({ null_primary_key: Count, duplicate_primary_key: Count, payload_too_large: Count }),
      v.description('Rows not sent, by reason (counted; the run goes on).'),
    ),
    delivered: v.pipe(Count, v.description('Row-ops the receiver accepted (2xx).')),
    failed: v.pipe(Count, v.description('Row-ops whose delivery ended failed (sent again by the next run).')),
    pending: v.pipe(Count, v.description('Row-ops still being delivered (or retried).')),
  }),
  v.metadata({ ref: 'SyncRun' }),
  v.examples([
    {
      run_id: 'run_0mhx2k3a8_1f2e3d4c',
      sync_id: 'syn_3f9a1c0d5e7b2a4c6d8e',
      status: 'succeeded',
      trigger: 'manual',
      started_at: '2026-11-20T12:00:00.000Z',
      enqueued_at: '2026-11-20T12:00:02.000Z',
      finished_at: '2026-11-20T12:00:04.000Z',
      error: null,
      rows: 3,
      counts: { upsert: 2, append: 0, create: 0, delete: 0 },
      failed_rows: { null_primary_key: 0, duplicate_primary_key: 0, payload_too_large: 0 },
      delivered: 2,
      failed: 0,
      pending: 0,
    },
  ]),
);

/** A sync's delivery (one per row-op): the one form of a delivery (destinations.ts), its destination as `syncId`. */
export const SyncDeliverySchema = v.pipe(
  v.strictObject({ id: v.string(), syncId: v.pipe(v.string(), v.regex(SYNC_ID)), ...DELIVERY_FIELDS }),
  v.metadata({ ref: 'SyncDelivery' }),
);

export type SyncJson = v.InferOutput<typeof SyncSchema>;
export type SyncDeliveryJson = v.InferOutput<typeof SyncDeliverySchema>;
export type CreatedSyncJson = v.InferOutput<typeof CreatedSyncSchema>;
export type SyncRunJson = v.InferOutput<typeof SyncRunSchema>;
export type SyncConnectionTestJson = v.InferOutput<typeof SyncConnectionTestSchema>;

/** Picks the documented fields only, so nothing else the engine keeps (a ciphertext) can leak out. */
export function syncJson(s: Sync): SyncJson {
  return {
    id: s.id,
    name: s.name,
    sql: s.sql,
    primary_key: s.primaryKey,
    mode: s.mode,
    mapping: s.mapping.map(({ source, destination }) => ({ source, destination })),
    webhook_url: s.webhookUrl,
    webhook_http_method: s.webhookHttpMethod,
    format: s.format,
    headers: Object.fromEntries(s.headerNames.map((name) => [name, REDACTED_HEADER_VALUE])),
    schedule: scheduleJson(s.schedule),
    pipeline_id: s.pipelineId ?? null,
    enabled: s.enabled,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    next_run_at: s.nextRunAt ?? null,
    active_run_id: s.activeRunId ?? null,
  };
}

function scheduleJson(schedule: SyncSchedule): SyncJson['schedule'] {
  switch (schedule.kind) {
    case 'manual':
      return { kind: 'manual' };
    case 'every':
      return { kind: 'every', minutes: schedule.minutes };
    case 'cron':
      return { kind: 'cron', expression: schedule.expression };
  }
}

export function syncRunJson(run: SyncRun): SyncRunJson {
  return {
    run_id: run.id,
    sync_id: run.syncId,
    status: run.status,
    trigger: run.trigger,
    started_at: run.startedAt,
    enqueued_at: run.enqueuedAt ?? null,
    finished_at: run.finishedAt ?? null,
    error: run.error ?? null,
    rows: run.rows,
    counts: { upsert: run.counts.upsert, append: run.counts.append, create: run.counts.create, delete: run.counts.delete },
    failed_rows: {
      null_primary_key: run.failedRows.null_primary_key,
      duplicate_primary_key: run.failedRows.duplicate_primary_key,
      payload_too_large: run.failedRows.payload_too_large,
    },
    delivered: run.delivered,
    failed: run.failed,
    pending: run.pending,
  };
}

export function syncDeliveryJson(d: Delivery): SyncDeliveryJson {
  return { id: d.id, syncId: d.destinationId, ...deliveryFieldsJson(d) };
}

export function syncConnectionTestJson(test: ConnectionTestResult): SyncConnectionTestJson {
  return {
    ok: test.ok,
    status_code: test.statusCode ?? null,
    latency_ms: test.latencyMs,
    error_class: test.errorClass ?? null,
    response_snippet: test.responseSnippet ?? null,
  };
}

// ---- errors ----

const SYNC_ERROR_CODES: Record<SyncError['code'], ApiErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INVALID_TARGET: 'INVALID_TARGET',
  CONNECTION_TEST_FAILED: 'CONNECTION_TEST_FAILED',
};

/** The receiver's answer to the connection test, in words: the status (or why there was none) and the start of its body. */
export function describeRefusedTest(test: ConnectionTestResult): string {
  const answer = test.statusCode === undefined ? `no HTTP answer (${test.errorClass ?? 'unknown'})` : `HTTP ${test.statusCode}`;
  const body = test.responseSnippet === undefined || test.responseSnippet === '' ? '' : `, body ${JSON.stringify(test.responseSnippet)}`;
  return `the endpoint answered the signed ping with ${answer} in ${test.latencyMs} ms${body}: it must answer 2xx. Fix the endpoint, or create the sync with skip_test`;
}

function toApiError(error: SyncError): ApiError {
  if (error.code === 'CONNECTION_TEST_FAILED' && error.test !== undefined) return new ApiError('CONNECTION_TEST_FAILED', describeRefusedTest(error.test));
  if (error.code === 'INVALID_REQUEST') return new ApiError('INVALID_REQUEST', `invalid request body: ${error.message}`);
  return new ApiError(SYNC_ERROR_CODES[error.code], error.message);
}

/** Runs a service call, turning its typed failures into API errors (anything else stays a 500). */
async function service<T>(deps: SyncApiDeps, call: (syncs: SyncService) => Promise<T>): Promise<T> {
  // A deployment without the sync queue: a fault of the configuration, not of the request.
  if (deps.syncs === undefined) throw new Error('syncs are not configured in this API (HOOKLAKE_SYNC_QUEUE_URL, HOOKLAKE_EVENTS_QUEUE_URL and a secrets key are needed)');
  try {
    return await call(deps.syncs);
  } catch (error) {
    if (error instanceof SyncError) throw toApiError(error);
    throw error;
  }
}

const syncNotFound = (id: string) => new ApiError('NOT_FOUND', `sync ${id} does not exist`);

// ---- routes ----

const route = routeFor<SyncApiDeps>();
const SYNCS = '/v4/syncs';
const SYNC = `${SYNCS}/{id}`;

export const syncRoutes: Route<SyncApiDeps>[] = [
  route({
    method: 'POST',
    path: SYNCS,
    operationId: 'createSync',
    summary: 'Create a sync',
    description:
      'Checks the definition and the URL (SSRF rules after DNS), then sends the endpoint a signed `ping`: anything but a 2xx refuses the creation with 422 `CONNECTION_TEST_FAILED`, the answer in the message, unless `skip_test`. The signing secret is in this answer only. The SQL is not run here: a query that fails fails its first run.',
    tags: ['Syncs'],
    body: CreateSyncBody,
    maxBodyBytes: MAX_SYNC_BODY_BYTES,
    errors: ['INVALID_TARGET', 'UNKNOWN_PIPELINE', 'CONNECTION_TEST_FAILED'],
    responses: { 201: { description: 'The new sync with its signing secret.', schema: CreatedSyncSchema } },
    handle: async ({ body, deps }) => {
      if (body.pipeline_id !== null && body.pipeline_id !== undefined && (await deps.store.getPipeline(body.pipeline_id)) === undefined) {
        throw new ApiError('UNKNOWN_PIPELINE', `unknown pipeline: ${body.pipeline_id}`);
      }
      const input: SyncInput = {
        name: body.name,
        sql: body.sql,
        primaryKey: body.primary_key,
        mode: body.mode,
        webhookUrl: body.webhook_url,
        webhookHttpMethod: body.webhook_http_method,
        format: body.format,
        mapping: body.mapping,
        headers: body.headers,
        schedule: body.schedule,
        pipelineId: body.pipeline_id ?? undefined,
        enabled: body.enabled,
        skipTest: body.skip_test,
      };
      const created = await service(deps, (syncs) => syncs.createSync(input));
      return reply(201, {
        ...syncJson(created.sync),
        secret: created.secret,
        connection_test: created.test === undefined ? null : syncConnectionTestJson(created.test),
      });
    },
  }),
  route({
    method: 'GET',
    path: SYNCS,
    operationId: 'listSyncs',
    summary: 'List syncs',
    description: 'Never their secrets nor header values.',
    tags: ['Syncs'],
    query: ListQuery,
    responses: { 200: { description: 'A page of syncs, in id order.', schema: v.strictObject({ syncs: v.array(SyncSchema), next_cursor: NextCursor }) } },
    handle: async ({ query, deps }) => {
      const page = await service(deps, (syncs) => syncs.listSyncs(pageRequest(SYNC_PAGES, query)));
      return reply(200, { syncs: page.items.map(syncJson), next_cursor: nextCursor(SYNC_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: SYNC,
    operationId: 'getSync',
    summary: 'Get a sync',
    tags: ['Syncs'],
    params: SyncParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The sync.', schema: SyncSchema } },
    handle: async ({ params, deps }) => {
      const sync = await service(deps, (syncs) => syncs.getSync(params.id));
      if (sync === undefined) throw syncNotFound(params.id);
      return reply(200, syncJson(sync));
    },
  }),
  route({
    method: 'PATCH',
    path: SYNC,
    operationId: 'updateSync',
    summary: 'Enable or disable a sync',
    description:
      '`{"enabled": false}` stops its schedule and manual runs (pending retries of a run end failed, sent again once it runs); `{"enabled": true}` resumes it, an `every` schedule counting afresh. The definition cannot change: create another sync.',
    tags: ['Syncs'],
    params: SyncParams,
    body: UpdateSyncBody,
    errors: ['NOT_FOUND', 'CONFLICT'],
    responses: { 200: { description: 'The changed sync.', schema: SyncSchema } },
    handle: async ({ params, body, deps }) => {
      const sync = await service(deps, (syncs) => (body.enabled ? syncs.enableSync(params.id) : syncs.disableSync(params.id)));
      return reply(200, syncJson(sync));
    },
  }),
  route({
    method: 'DELETE',
    path: SYNC,
    operationId: 'deleteSync',
    summary: 'Delete a sync',
    description: 'A run in progress ends failed; its snapshot and run files are removed. Its deliveries stay in the log until they expire.',
    tags: ['Syncs'],
    params: SyncParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The deleted sync.', schema: DeletedSyncSchema } },
    handle: async ({ params, deps }) => {
      const sync = await service(deps, (syncs) => syncs.getSync(params.id));
      if (sync === undefined) throw syncNotFound(params.id);
      if (!(await service(deps, (syncs) => syncs.deleteSync(params.id)))) throw syncNotFound(params.id);
      return reply(200, { ...syncJson(sync), deleted: true as const });
    },
  }),
  route({
    method: 'POST',
    path: `${SYNC}/runs`,
    operationId: 'runSync',
    summary: 'Start a run now',
    description:
      'Answers at once with the run (`running`); follow it with GET …/runs/{runId}. 409 `CONFLICT` while a run is in progress (its id in the message) or when the sync is disabled.',
    tags: ['Syncs'],
    params: SyncParams,
    errors: ['NOT_FOUND', 'CONFLICT'],
    responses: { 202: { description: 'The run, started.', schema: SyncRunSchema } },
    handle: async ({ params, deps }) => reply(202, syncRunJson(await service(deps, (syncs) => syncs.runSync(params.id)))),
  }),
  route({
    method: 'GET',
    path: `${SYNC}/runs`,
    operationId: 'listSyncRuns',
    summary: 'The runs page of a sync',
    description: 'One row per run, newest first: rows queried, row-ops by op, and what the receiver got (delivered, failed, pending).',
    tags: ['Syncs'],
    params: SyncParams,
    query: ListQuery,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'A page of runs, newest first.', schema: v.strictObject({ runs: v.array(SyncRunSchema), next_cursor: NextCursor }) } },
    handle: async ({ params, query, deps }) => {
      const page = await service(deps, (syncs) => syncs.listRuns(params.id, pageRequest(RUN_PAGES, query)));
      return reply(200, { runs: page.items.map(syncRunJson), next_cursor: nextCursor(RUN_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: `${SYNC}/runs/{runId}`,
    operationId: 'getSyncRun',
    summary: 'Get one run',
    tags: ['Syncs'],
    params: SyncRunParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The run.', schema: SyncRunSchema } },
    handle: async ({ params, deps }) => {
      const run = await service(deps, (syncs) => syncs.getRun(params.id, params.runId));
      if (run === undefined) throw new ApiError('NOT_FOUND', `run ${params.runId} of sync ${params.id} does not exist`);
      return reply(200, syncRunJson(run));
    },
  }),
  ...deliveryLogRoutes<SyncApiDeps, typeof SyncDeliverySchema>({
    base: SYNC,
    params: SyncParams,
    tag: 'Syncs',
    pages: DELIVERY_PAGES,
    schema: SyncDeliverySchema,
    json: syncDeliveryJson,
    kind: 'sync',
    text: {
      list: {
        operationId: 'listSyncDeliveries',
        summary: 'The delivery log of a sync',
        description: 'One delivery per row-op, newest first, each with its attempts (the last 50).',
      },
      get: { operationId: 'getSyncDelivery', summary: 'Get one delivery of a sync' },
      redeliver: {
        operationId: 'redeliverSyncDelivery',
        summary: 'Queue one delivery of a sync again',
        description:
          'Whatever its status; it keeps its `webhook-id`, continues its attempt log and gets a fresh retry budget. A finished run keeps its counts, and the snapshot is not changed: a row-op whose delivery failed is sent again by the next run anyway.',
      },
      redeliverFailed: {
        operationId: 'redeliverFailedSyncDeliveries',
        summary: 'Queue every failed delivery of a sync in a time range again',
        description: 'Every `failed` delivery created within [from, to] (read 100 at a time, 8 queued at once).',
      },
    },
    call: (deps, operation) => service(deps, operation),
  }),
];
