// hooklake events [list] | events publish TYPE --data JSON
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CUSTOM_EVENT_TYPE } from '../shared/domain/delivery/events.ts';
import { apiClient } from './api-client.ts';
import { positiveInt } from './args.ts';
import { CliError, emit, globals, type CliIo } from './context.ts';
import { table } from './output.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { resolveApiTarget } from './target.ts';
import type { EventTypeJson, PublishedEventJson } from '../shared/api/events.ts';

/** `--data '{"a":1}'`, or `--data @file.json` relative to the working directory. */
function jsonData(io: CliIo, value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    const path = resolve(io.cwd, value.slice(1));
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`expected JSON${value.startsWith('@') ? ` in ${value.slice(1)}` : ' (or @file.json)'}.`);
  }
}

export function registerEvents(program: Command, io: CliIo): void {
  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));

  const list = async (options: ListOptions, command: Command) => {
    const listed = await listPages<EventTypeJson>(client(command), '/v4/events', 'events', options);
    const events = listed.items;
    emit(io, command, events, () =>
      [
        table(
          ['type', 'subscribable', 'description'],
          events.map((e) => [e.type, e.subscribable ? 'yes' : 'no', e.description]),
          { maxCell: 240 },
        ),
        '',
        `Custom events: any name matching ${CUSTOM_EVENT_TYPE.source} (not a built-in one, not hooklake.*);`,
        "publish one with: hooklake events publish TYPE --data '{...}'",
        'Example payloads: hooklake events --json',
      ].join('\n') + moreHint(listed),
    );
  };

  const events = withListOptions(
    program.command('events').description('list the event types a subscription can name (built-in and how to publish custom ones)'),
  ).action(list);

  withListOptions(events.command('list').description('list the event types (the same as `hooklake events`)')).action(list);

  events
    .command('publish')
    .description('publish a custom event to every subscription that lists its type')
    .argument('<type>', 'custom event type, e.g. orders.paid')
    .requiredOption('--data <json>', "the event's data: JSON, or @file.json", (value: string) => jsonData(io, value))
    .option('--pipeline <id>', 'attach the event to a pipeline (reaches subscriptions filtered on it)', positiveInt)
    .action(async (type: string, options: { data: unknown; pipeline?: number }, command: Command) => {
      const published = await client(command).request<PublishedEventJson>('POST', '/v4/events', {
        type,
        data: options.data,
        ...(options.pipeline === undefined ? {} : { pipelineId: options.pipeline }),
      });
      emit(io, command, published, () => `Published ${published.type} event ${published.id} at ${published.timestamp}`);
    });
}
