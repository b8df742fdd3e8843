// hooklake pipelines create|list|get|delete
import type { Command } from 'commander';
import type { PipelineDetailJson, PipelineJson } from '../shared/api/management-api.ts';
import { apiClient } from './api-client.ts';
import { nonEmpty, positiveInt } from './args.ts';
import { emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { resolveApiTarget } from './target.ts';

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
          ]),
        ];
        if (rejected.days.length > 0) {
          lines.push('', table(['dt', 'rejected'], rejected.days.map((day) => [day.dt, day.total])));
        }
        return lines.join('\n');
      });
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
