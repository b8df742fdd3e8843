// A pipeline's typed columns (docs/lake.md, "Typed tables"): the schema inferred from its webhooks,
// as `hooklake pipelines schema`, the console and outside tools read it, and a refresh on demand.
import * as v from 'valibot';
import { columnShare, COLUMN_TYPES, MAX_COLUMNS, MAX_PATH_DEPTH, type PipelineSchema } from '../domain/lake/schema.ts';
import { pipelineViewName } from '../domain/lake/schema-views.ts';
import type { ManagementStore } from '../ports/management.ts';
import type { SchemaService } from '../ports/schema.ts';
import { notFound } from './errors.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, PipelineIdParams } from './schemas.ts';

export interface SchemaApiDeps {
  /** Absent in tests that do not use it: the routes then fail (500, logged). */
  schemas?: SchemaService | undefined;
  store: Pick<ManagementStore, 'getPipeline'>;
}

const ColumnSchema = v.pipe(
  v.strictObject({
    name: v.pipe(v.string(), v.description('The column in `pipeline_<id>` (DuckDB and Athena): lower case, no quoting needed.')),
    path: v.pipe(v.array(v.string()), v.description("The field's object keys from the body's root.")),
    type: v.pipe(v.picklist(COLUMN_TYPES), v.description('`json`: JSON text (arrays, deeper objects). A value that does not fit reads as NULL.')),
    first_seen: IsoTimestamp,
    last_seen: IsoTimestamp,
    share: v.pipe(v.number(), v.minValue(0), v.maxValue(1), v.description('Share of the sampled rows that carried a value.')),
    rows: v.pipe(v.number(), v.description('Sampled rows that carried a value.')),
    example: v.pipe(v.nullable(v.string()), v.description('The latest sampled value as text, cut at 120 characters; `[redacted]` for a credential field.')),
  }),
  v.metadata({ ref: 'SchemaColumn' }),
);

export const PipelineSchemaJsonSchema = v.pipe(
  v.strictObject({
    pipeline_id: v.pipe(v.number(), v.integer(), v.minValue(1)),
    view: v.pipe(v.string(), v.description('The view with these columns: `hooklake query` (DuckDB) and the Glue database (Athena).')),
    version: v.pipe(v.number(), v.description('Bumped when a column is added or widened; 0 before any webhook was sampled.')),
    rows_sampled: v.number(),
    refreshed_at: v.nullable(IsoTimestamp),
    omitted_fields: v.pipe(v.number(), v.description(`Fields of the last sample left in the JSON body only (over the ${MAX_COLUMNS}-column cap, or a key no JSON path can name).`)),
    max_columns: v.number(),
    max_depth: v.number(),
    columns: v.array(ColumnSchema),
  }),
  v.metadata({ ref: 'PipelineSchema' }),
);

export type PipelineSchemaJson = v.InferOutput<typeof PipelineSchemaJsonSchema>;
export type SchemaColumnJson = PipelineSchemaJson['columns'][number];

const isoOf = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();

export function pipelineSchemaJson(schema: PipelineSchema): PipelineSchemaJson {
  return {
    pipeline_id: schema.pipelineId,
    view: pipelineViewName(schema.pipelineId),
    version: schema.version,
    rows_sampled: schema.rows,
    refreshed_at: schema.refreshedAt === null ? null : new Date(schema.refreshedAt).toISOString(),
    omitted_fields: schema.omittedFields,
    max_columns: MAX_COLUMNS,
    max_depth: MAX_PATH_DEPTH,
    columns: schema.columns.map((column) => ({
      name: column.name,
      path: column.path,
      type: column.type,
      first_seen: isoOf(column.firstSeen),
      last_seen: isoOf(column.lastSeen),
      share: Math.round(columnShare(schema, column) * 10_000) / 10_000,
      rows: column.rows,
      example: column.example,
    })),
  };
}

/** The schema a view is built from, back from its JSON (the CLI builds DuckDB's views from the API's answer). */
export function schemaFromJson(json: PipelineSchemaJson): PipelineSchema {
  return {
    pipelineId: json.pipeline_id,
    version: json.version,
    rows: json.rows_sampled,
    refreshedAt: json.refreshed_at,
    sampledThrough: null,
    omittedFields: json.omitted_fields,
    columns: json.columns.map((column) => ({
      name: column.name,
      path: column.path,
      type: column.type,
      firstSeen: Date.parse(column.first_seen) / 1000,
      lastSeen: Date.parse(column.last_seen) / 1000,
      rows: column.rows,
      example: column.example,
    })),
  };
}

function schemaService(deps: SchemaApiDeps): SchemaService {
  if (deps.schemas === undefined) throw new Error('typed tables are not configured');
  return deps.schemas;
}

async function requirePipeline(deps: SchemaApiDeps, id: number): Promise<void> {
  if ((await deps.store.getPipeline(id)) === undefined) throw notFound('pipeline', id);
}

const route = routeFor<SchemaApiDeps>();

export const schemaRoutes: Route<SchemaApiDeps>[] = [
  route({
    method: 'GET',
    path: '/v4/pipelines/{id}/schema',
    operationId: 'getPipelineSchema',
    summary: "A pipeline's typed columns",
    description:
      "The columns of the view `pipeline_<id>`, inferred from a sample of the pipeline's webhooks and kept current by a refresh every 15 minutes: type, first and last seen, share of rows and an example value. Types only widen (bigint → double → varchar) and a column is never dropped.",
    tags: ['Pipelines'],
    params: PipelineIdParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The schema (no columns before any webhook was sampled).', schema: PipelineSchemaJsonSchema } },
    handle: async ({ params, deps }) => {
      await requirePipeline(deps, params.id);
      return reply(200, pipelineSchemaJson(await schemaService(deps).get(params.id)));
    },
  }),
  route({
    method: 'POST',
    path: '/v4/pipelines/{id}/schema/refresh',
    operationId: 'refreshPipelineSchema',
    summary: "Refresh a pipeline's typed columns now",
    description:
      'Samples what landed since the last refresh (at most 16 objects, 2,000 rows, 16 MiB), folds it into the schema and, when a column was added or widened, rebuilds the Athena view. Answers the schema as it now is.',
    tags: ['Pipelines'],
    params: PipelineIdParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The refreshed schema.', schema: PipelineSchemaJsonSchema } },
    handle: async ({ params, deps }) => {
      await requirePipeline(deps, params.id);
      return reply(200, pipelineSchemaJson(await schemaService(deps).refresh(params.id)));
    },
  }),
];
