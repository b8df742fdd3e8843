// Pipelines under /v4/pipelines: create, list, get (with its rejection counts of the last days
// and its signature verification), delete. The rejection counts' JSON is shared with the
// console's stats (requests.ts).
import * as v from 'valibot';
import { isoNow, type Clock } from '../domain/clock.ts';
import { REJECTION_REASONS, type PipelineRecord, type RejectionCounts, type RejectionReason } from '../domain/ingest/records.ts';
import type { ManagementStore } from '../ports/management.ts';
import { notFound } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery, Name, PipelineIdParams } from './schemas.ts';
import { VerificationSchema, verificationJson } from './verification.ts';

export interface PipelineApiDeps {
  store: Pick<ManagementStore, 'createPipeline' | 'listPipelines' | 'getPipeline' | 'deletePipeline' | 'rejectionCounts'>;
  clock: Clock;
}

/** Days of rejection counts GET /v4/pipelines/{id} reports, today (UTC) included. */
export const REJECTION_DAYS = 7;

export const CreatePipelineBody = v.pipe(v.strictObject({ name: Name }), v.examples([{ name: 'shop' }]));

const PIPELINE_PAGES: ListPaging<number> = { list: 'pipelines', key: v.pipe(v.number(), v.safeInteger(), v.minValue(1)) };

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

export type PipelineJson = v.InferOutput<typeof PipelineSchema>;
export type PipelineDetailJson = v.InferOutput<typeof PipelineDetailSchema>;
export type RejectionDayJson = PipelineDetailJson['rejected']['days'][number];

export function pipelineJson(record: PipelineRecord): PipelineJson {
  return { pipeline_id: record.id, name: record.name, created_at: record.createdAt };
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

const route = routeFor<PipelineApiDeps>();

export const pipelineRoutes: Route<PipelineApiDeps>[] = [
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
];
