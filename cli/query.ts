// hooklake query "SQL" [--pipeline N] [--raw] [--bucket B]
import { join } from 'node:path';
import type { Command } from 'commander';
import { lakePipelineIds, queryLake, type LakeSource } from '../shared/adapters/duckdb/lake-query.ts';
import { schemaFromJson, type PipelineSchemaJson } from '../shared/api/schema.ts';
import type { PipelineSchema } from '../shared/domain/lake/schema.ts';
import { apiClient } from './api-client.ts';
import { positiveInt } from './args.ts';
import { CliError, emit, globals, type CliIo, type GlobalOptions } from './context.ts';
import { plural, table } from './output.ts';
import { dataDir, requireStackFile, resolveApiTarget } from './target.ts';
import { s3Client } from '../shared/adapters/clients/s3.ts';

interface QueryOptions {
  pipeline?: number;
  raw?: boolean;
  bucket?: string;
  region?: string;
}

/** --bucket (or HOOKLAKE_LAKE_BUCKET) means a deployment's lake with ambient AWS credentials; else the local stack's. */
export function resolveLake(io: CliIo, options: { bucket?: string | undefined; region?: string | undefined }): LakeSource {
  const bucket = options.bucket ?? (io.env.HOOKLAKE_LAKE_BUCKET || undefined);
  if (bucket !== undefined) {
    const region = options.region ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || 'us-east-1');
    const endpoint = io.env.HOOKLAKE_S3_ENDPOINT || undefined;
    return { s3: s3Client({ region, endpoints: { s3: endpoint } }), bucket, origin: endpoint ?? `s3:${region}` };
  }
  const stack = requireStackFile(io, "pass --bucket BUCKET to query a deployment's lake");
  return {
    s3: s3Client({ region: options.region ?? stack.region, endpoints: { s3: stack.endpoints.s3 } }),
    bucket: stack.resources.lakeBucket,
    origin: stack.endpoints.s3,
  };
}

export function registerQuery(program: Command, io: CliIo): void {
  program
    .command('query')
    .summary('run DuckDB SQL over the lake (views webhooks, webhooks_raw, pipeline_<N>)')
    .description(
      'run DuckDB SQL over the lake. Views: webhooks (one row per request, deduplicated on ' +
        'pipeline_id + __kdd_request_id; every stored row with --raw) and webhooks_raw. Columns: ' +
        'pipeline_id BIGINT, dt DATE, __kdd_request_id, __kdd_request_unix_timestamp DOUBLE, ' +
        '__kdd_requester_key, __kdd_request_body. pipeline_<N>: webhooks of pipeline N with a typed ' +
        'column per body field (hooklake pipelines schema N; a deployment\'s need --api)',
    )
    .argument('<sql>', 'the SQL to run')
    .option('--pipeline <id>', "only this pipeline's objects (synced and queried)", positiveInt)
    .option('--raw', 'webhooks keeps duplicate deliveries of a request')
    .option('--bucket <bucket>', "a deployment's lake bucket, read with your AWS credentials (default: the local stack's)")
    .option('--region <region>', 'the bucket region (default: $AWS_REGION)')
    .action(async (sql: string, options: QueryOptions, command: Command) => {
      const lake = resolveLake(io, options);
      try {
        const cacheDir = join(dataDir(io), 'lake-cache', lake.bucket);
        const result = await (async () => {
          const schemas = await typedViewSchemas(io, globals(command), options, lake, sql);
          // Copies only the days and columns the SQL reads (typed views included), then queries.
          return queryLake({ ...lake, cacheDir, sql, pipelineId: options.pipeline, raw: options.raw === true, schemas });
        })().catch((error: unknown) => {
          throw new CliError(queryFailure(error, lake.bucket), { cause: error });
        });
        emit(io, command, result.rows, () =>
          [
            table(
              result.columns.map((column) => column.name),
              result.rows.map((row) => result.columns.map((column) => row[column.name])),
              { upperCaseHeader: false },
            ),
            `(${plural(result.rows.length, 'row')})`,
          ].join('\n'),
        );
      } finally {
        lake.s3.destroy();
      }
    });
}

/**
 * The schemas of the pipelines in the lake, from the management API: the local stack's, or a
 * deployment's when --api is given with --bucket. Without one (or when it cannot be reached) the
 * query runs without the typed views, and says so on stderr.
 */
async function typedViewSchemas(io: CliIo, global: GlobalOptions, options: QueryOptions, lake: LakeSource, sql: string): Promise<PipelineSchema[]> {
  const remote = options.bucket !== undefined || Boolean(io.env.HOOKLAKE_LAKE_BUCKET);
  if (remote && global.api === undefined) {
    if (/\bpipeline_[0-9]/.test(sql)) io.stderr('typed views pipeline_<N> need the schemas: add --api URL (and an admin credential) to read them\n');
    return [];
  }
  const ids = options.pipeline === undefined ? await lakePipelineIds(lake) : [options.pipeline];
  if (ids.length === 0) return [];
  try {
    const client = apiClient(resolveApiTarget(io, global));
    const schemas: PipelineSchema[] = [];
    // A few at a time: one small GET per pipeline that has webhooks.
    for (let index = 0; index < ids.length; index += 8) {
      const answers = await Promise.all(
        ids.slice(index, index + 8).map((id) =>
          client.request<PipelineSchemaJson>('GET', `/v4/pipelines/${id}/schema`).catch((error: unknown) => {
            // A deleted pipeline keeps its lake data but has no schema: its typed view is simply absent.
            if (error instanceof CliError && error.message.includes('(NOT_FOUND')) return undefined;
            throw error;
          }),
        ),
      );
      for (const answer of answers) if (answer !== undefined) schemas.push(schemaFromJson(answer));
    }
    return schemas;
  } catch (error) {
    io.stderr(`typed views pipeline_<N> left out: ${error instanceof Error ? error.message : String(error)}\n`);
    return [];
  }
}

export function queryFailure(error: unknown, bucket: string): string {
  const { name, message } = error as { name?: string; message?: string };
  const firstLine = (message ?? String(error)).split('\n')[0]!;
  if (name === 'NoSuchBucket') return `the lake bucket ${bucket} does not exist`;
  if (name === 'CredentialsProviderError') return 'no AWS credentials found to read the lake bucket';
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return `cannot reach the lake's S3 endpoint (is the local stack running? \`npm start\`)`;
  return firstLine;
}
