// hooklake pipelines create|list|get|delete, pipelines verification set|clear
import { InvalidArgumentError, type Command } from 'commander';
import type { VerificationJson } from '../shared/api/verification.ts';
import { HMAC_ALGORITHMS, SIGNATURE_ENCODINGS, SIGNATURE_PROVIDERS } from '../shared/domain/ingest/signatures/settings.ts';
import { apiClient } from './api-client.ts';
import { nonEmpty, positiveInt } from './args.ts';
import { emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { resolveApiTarget } from './target.ts';
import type { PipelineDetailJson, PipelineJson } from '../shared/api/pipelines.ts';
import type { PipelineSchemaJson } from '../shared/api/schema.ts';

export function registerPipelines(program: Command, io: CliIo): void {
  const pipelines = program.command('pipelines').description('create, list, show and delete pipelines');
  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));

  pipelines
    .command('create')
    .description('create a pipeline; prints its numeric pipeline_id')
    .requiredOption('--name <name>', 'pipeline name', nonEmpty)
    .action(async (options: { name: string }, command: Command) => {
      const created = await client(command).request<PipelineJson>('POST', '/v4/pipelines', { name: options.name });
      emit(io, command, created, () => `Created pipeline ${created.pipeline_id} (${created.name})`);
    });

  withListOptions(pipelines.command('list').description('list pipelines, in id order')).action(async (options: ListOptions, command: Command) => {
    const listed = await listPages<PipelineJson>(client(command), '/v4/pipelines', 'pipelines', options);
    const list = listed.items;
    emit(io, command, list, () =>
      list.length === 0
        ? 'No pipelines yet: hooklake pipelines create --name NAME'
        : table(
            ['id', 'name', 'created_at'],
            list.map((p) => [p.pipeline_id, p.name, p.created_at]),
          ) + moreHint(listed),
    );
  });

  pipelines
    .command('get')
    .description('show a pipeline with its rejected requests of the last 7 days')
    .argument('<id>', 'pipeline id', positiveInt)
    .action(async (id: number, _options: unknown, command: Command) => {
      const pipeline = await client(command).request<PipelineDetailJson>('GET', `/v4/pipelines/${id}`);
      emit(io, command, pipeline, () => {
        const { rejected } = pipeline;
        const reasons = Object.entries(rejected.by_reason)
          .filter(([, count]) => count > 0)
          .map(([reason, count]) => `${reason} ${count}`)
          .join(', ');
        const lines = [
          keyValues([
            ['pipeline_id', pipeline.pipeline_id],
            ['name', pipeline.name],
            ['created_at', pipeline.created_at],
            ['rejected (7d)', rejected.total === 0 ? '0' : `${rejected.total} (${reasons})`],
            ['verification', verificationText(pipeline.verification)],
          ]),
        ];
        if (rejected.days.length > 0) {
          lines.push('', table(['dt', 'rejected'], rejected.days.map((day) => [day.dt, day.total])));
        }
        return lines.join('\n');
      });
    });

  pipelines
    .command('schema')
    .description("show the pipeline's typed columns (the view pipeline_<id> in hooklake query and Athena): type, first/last seen, share of rows, an example")
    .argument('<id>', 'pipeline id', positiveInt)
    .option('--refresh', 'sample what landed since the last refresh now (else the schedule does, every 15 minutes)')
    .action(async (id: number, options: { refresh?: boolean }, command: Command) => {
      const schema =
        options.refresh === true
          ? await client(command).request<PipelineSchemaJson>('POST', `/v4/pipelines/${id}/schema/refresh`)
          : await client(command).request<PipelineSchemaJson>('GET', `/v4/pipelines/${id}/schema`);
      emit(io, command, schema, () => schemaText(schema));
    });

  const verification = pipelines.command('verification').description("verify the pipeline's senders' signatures (github, stripe, shopify, slack, standard-webhooks, hmac)");
  verification
    .command('set')
    .description('verify signatures with 1 or 2 secrets (2 during a rotation); replaces any earlier setting; the secrets are never shown again')
    .argument('<id>', 'pipeline id', positiveInt)
    .requiredOption('--provider <provider>', SIGNATURE_PROVIDERS.join(' | '), oneOf(SIGNATURE_PROVIDERS))
    .requiredOption('--secret <secret>', 'the signing secret as the sender shows it (repeat for a second one)', collect)
    .option('--header <name>', 'hmac: the header carrying the signature', nonEmpty)
    .option('--algorithm <algorithm>', `hmac: ${HMAC_ALGORITHMS.join(' | ')}`, oneOf(HMAC_ALGORITHMS))
    .option('--encoding <encoding>', `hmac: ${SIGNATURE_ENCODINGS.join(' | ')}`, oneOf(SIGNATURE_ENCODINGS))
    .option('--prefix <prefix>', 'hmac: text before the digest, e.g. sha256=')
    .action(async (id: number, options: VerificationOptions, command: Command) => {
      const set = await client(command).request<{ pipeline_id: number; verification: VerificationJson | null }>('PUT', `/v4/pipelines/${id}/verification`, {
        provider: options.provider,
        secrets: options.secret,
        ...(options.header === undefined ? {} : { header: options.header }),
        ...(options.algorithm === undefined ? {} : { algorithm: options.algorithm }),
        ...(options.encoding === undefined ? {} : { encoding: options.encoding }),
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      });
      emit(io, command, set, () => `Pipeline ${set.pipeline_id} verifies signatures: ${verificationText(set.verification)}`);
    });
  verification
    .command('clear')
    .description('stop verifying signatures (the secrets are deleted)')
    .argument('<id>', 'pipeline id', positiveInt)
    .action(async (id: number, _options: unknown, command: Command) => {
      const cleared = await client(command).request<{ pipeline_id: number; verification: null }>('DELETE', `/v4/pipelines/${id}/verification`);
      emit(io, command, cleared, () => `Pipeline ${cleared.pipeline_id} no longer verifies signatures`);
    });

  pipelines
    .command('delete')
    .description('delete a pipeline (its lake data stays)')
    .argument('<id>', 'pipeline id', positiveInt)
    .action(async (id: number, _options: unknown, command: Command) => {
      const deleted = await client(command).request<PipelineJson & { deleted: true }>('DELETE', `/v4/pipelines/${id}`);
      emit(io, command, deleted, () => `Deleted pipeline ${deleted.pipeline_id} (${deleted.name})`);
    });
}

interface VerificationOptions {
  provider: string;
  secret: string[];
  header?: string;
  algorithm?: string;
  encoding?: string;
  prefix?: string;
}

/** `--secret`, repeatable. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function oneOf(choices: readonly string[]) {
  return (value: string): string => {
    if (!choices.includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return value;
  };
}

/** `github (1 secret)`, `hmac x-signature sha256 hex prefix "sha256=" (2 secrets)`, or `none`; never a secret. */
export function verificationText(verification: VerificationJson | null | undefined): string {
  if (verification === null || verification === undefined) return 'none';
  const generic = [verification.header, verification.algorithm, verification.encoding].filter((part) => part !== undefined);
  const prefix = verification.prefix === undefined ? [] : [`prefix ${JSON.stringify(verification.prefix)}`];
  return [verification.provider, ...generic, ...prefix, `(${verification.secrets} secret${verification.secrets === 1 ? '' : 's'})`].join(' ');
}

/** The schema as a table, one column a line; share as a percentage, times to the second. */
export function schemaText(schema: PipelineSchemaJson): string {
  const header = `View ${schema.view}: ${schema.columns.length} typed column${schema.columns.length === 1 ? '' : 's'}, ${schema.rows_sampled} row${schema.rows_sampled === 1 ? '' : 's'} sampled, refreshed ${schema.refreshed_at ?? 'never'}`;
  if (schema.columns.length === 0) {
    return `${header}\nNo typed columns yet: they appear once webhooks have landed and a refresh ran (hooklake pipelines schema ${schema.pipeline_id} --refresh).`;
  }
  const second = (iso: string) => iso.slice(0, 19).replace('T', ' ');
  const lines = [
    header,
    '',
    table(
      ['column', 'type', 'share', 'first_seen', 'last_seen', 'example'],
      schema.columns.map((column) => [
        column.name,
        column.type,
        `${Math.round(column.share * 1000) / 10}%`,
        second(column.first_seen),
        second(column.last_seen),
        column.example === null ? '' : column.example.replace(/[\p{Cc}]/gu, ' ').slice(0, 40),
      ]),
    ),
  ];
  if (schema.omitted_fields > 0) lines.push('', `${schema.omitted_fields} more field${schema.omitted_fields === 1 ? '' : 's'} of the last sample stay in __kdd_request_body only (cap ${schema.max_columns} columns, or keys no JSON path can name).`);
  return lines.join('\n');
}
