// hooklake syncs create|list|get|delete|enable|disable|run|runs|deliveries|redeliver: lake rows to webhooks (/v4/syncs).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { CreatedSyncJson, SyncConnectionTestJson, SyncDeliveryJson, SyncJson, SyncRunJson } from '../shared/api/syncs.ts';
import { SYNC_MODES, parseMappingList, type FieldMapping, type SyncMode } from '../shared/domain/syncs/definition.ts';
import { SYNC_ID } from '../shared/domain/syncs/ids.ts';
import { isFinalRunStatus } from '../shared/domain/syncs/runs.ts';
import { parseEvery } from '../shared/domain/syncs/schedule.ts';
import { apiClient, type ApiClient } from './api-client.ts';
import { nonEmpty, pointInTime, positiveInt } from './args.ts';
import { CliError, emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { deliveryFilterQuery, redeliverFailedInRange, withDeliveryFilters, type DeliveriesOptions } from './deliveries.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { format, header, method } from './subscriptions.ts';
import { resolveApiTarget } from './target.ts';

/** `syncs run --wait` gives up after this long by default (a run waits for retries up to 3 h: raise it with --timeout). */
export const DEFAULT_WAIT_SECONDS = 600;
/** How often `--wait` reads the run: quickly at first, then every 2 s. */
const POLL_DELAYS_MS = [250, 500, 1000, 2000] as const;

function syncId(value: string): string {
  if (!SYNC_ID.test(value)) throw new InvalidArgumentError('expected a sync id (syn_ followed by 20 hex digits).');
  return value;
}

function mode(value: string): SyncMode {
  const lower = value.trim().toLowerCase();
  if (!(SYNC_MODES as readonly string[]).includes(lower)) throw new InvalidArgumentError(`expected one of ${SYNC_MODES.join(', ')}.`);
  return lower as SyncMode;
}

function mapping(value: string): FieldMapping[] {
  try {
    return parseMappingList(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message} (expected source:destination,...).`);
  }
}

function every(value: string): number {
  try {
    return parseEvery(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
}

/** `--sql "select ..."`, or `--sql @file.sql` relative to the working directory. */
function sqlText(io: CliIo, value: string): string {
  if (!value.startsWith('@')) return value;
  const path = resolve(io.cwd, value.slice(1));
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');

export function scheduleText(schedule: SyncJson['schedule']): string {
  switch (schedule.kind) {
    case 'manual':
      return 'manual';
    case 'every':
      return `every ${schedule.minutes} min`;
    case 'cron':
      return `cron ${schedule.expression}`;
  }
}

/** `upsert 2, delete 1` (the non-zero counts only), or `none`. */
export function countsText(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([op, count]) => `${op} ${count}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

function describeSync(s: SyncJson, extra: [string, string][] = []): string {
  const headerNames = Object.keys(s.headers);
  return keyValues([
    ['id', s.id],
    ['name', s.name],
    ['mode', s.mode],
    ['primary_key', s.primary_key],
    ['sql', s.sql],
    ['mapping', s.mapping.length === 0 ? 'every column under its own name' : s.mapping.map((pair) => `${pair.source}:${pair.destination}`).join(',')],
    ['url', s.webhook_url],
    ['method', s.webhook_http_method],
    ['format', s.webhook_http_method === 'GET' ? 'query parameters' : s.format],
    // Values can be credentials: names only.
    ...(headerNames.length === 0 ? [] : [['headers', headerNames.join(', ')] as [string, string]]),
    ['schedule', scheduleText(s.schedule)],
    ...(s.pipeline_id === null ? [] : [['pipeline', String(s.pipeline_id)] as [string, string]]),
    ['enabled', yesNo(s.enabled)],
    ...(s.next_run_at === null ? [] : [['next_run_at', s.next_run_at] as [string, string]]),
    ...(s.active_run_id === null ? [] : [['active_run', s.active_run_id] as [string, string]]),
    ['created_at', s.created_at],
    ...extra,
  ]);
}

function describeTest(test: SyncConnectionTestJson | null): string {
  if (test === null) return 'skipped';
  return `${test.ok ? 'OK' : 'FAILED'}: ${test.status_code === null ? 'no HTTP answer' : `HTTP ${test.status_code}`} in ${test.latency_ms} ms`;
}

export function describeRun(run: SyncRunJson): string {
  return keyValues([
    ['run_id', run.run_id],
    ['sync_id', run.sync_id],
    ['status', run.status],
    ['trigger', run.trigger],
    ['started_at', run.started_at],
    ...(run.finished_at === null ? [] : [['finished_at', run.finished_at] as [string, string]]),
    ['rows', String(run.rows)],
    ['counts', countsText(run.counts)],
    ['delivered', String(run.delivered)],
    ['failed', String(run.failed)],
    ['pending', String(run.pending)],
    ...(Object.values(run.failed_rows).some((count) => count > 0)
      ? [['failed_rows', countsText(run.failed_rows)] as [string, string]]
      : []),
    ...(run.error === null ? [] : [['error', run.error] as [string, string]]),
  ]);
}

function deliveriesTable(deliveries: readonly SyncDeliveryJson[]): string {
  return table(
    ['id', 'time', 'status', 'attempts', 'last_code', 'last_error', 'webhook_id'],
    deliveries.map((d) => {
      const last = d.attempts.at(-1);
      const status = d.status === 'pending' && d.nextAttemptAt !== null ? `pending (next ${d.nextAttemptAt})` : d.status;
      return [d.id, d.createdAt, status, d.attempts.length, last?.statusCode ?? null, last?.errorClass ?? '', d.webhookId];
    }),
  );
}


interface CreateOptions {
  name: string;
  sql: string;
  primaryKey: string;
  mode: SyncMode;
  url: string;
  method?: 'GET' | 'POST';
  format?: 'json' | 'form';
  map?: FieldMapping[];
  header?: Record<string, string>;
  every?: number;
  cron?: string;
  pipeline?: number;
  skipTest?: boolean;
  disabled?: boolean;
}

/** Reads the run until it is finished or `timeoutMs` has passed; a progress line on stderr only when it is a terminal. */
async function waitForRun(io: CliIo, api: ApiClient, run: SyncRunJson, timeoutMs: number): Promise<SyncRunJson> {
  const started = Date.now();
  const path = `/v4/syncs/${run.sync_id}/runs/${run.run_id}`;
  let current = run;
  const progress = (final: boolean) => {
    if (io.stderrIsTty !== true) return;
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = `${current.run_id} ${current.status}: ${countsText(current.counts)}; ${current.delivered} delivered, ${current.failed} failed, ${current.pending} pending (${seconds} s)`;
    io.stderr(`\r\u001b[2K${line}${final ? '\n' : ''}`);
  };
  for (let poll = 0; !isFinalRunStatus(current.status) && Date.now() - started < timeoutMs; poll++) {
    progress(false);
    const delay = Math.min(POLL_DELAYS_MS[Math.min(poll, POLL_DELAYS_MS.length - 1)]!, Math.max(0, timeoutMs - (Date.now() - started)));
    await new Promise((done) => setTimeout(done, delay));
    current = await api.request<SyncRunJson>('GET', path);
  }
  progress(true);
  return current;
}

export function registerSyncs(program: Command, io: CliIo): void {
  const syncs = program
    .command('syncs')
    .description('send what a query over the lake says to a webhook, row by row (valmi-style modes), and follow the runs');
  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));
  const path = (id: string) => `/v4/syncs/${id}`;

  syncs
    .command('create')
    .description('create a sync; a signed ping must answer 2xx unless --skip-test; prints its id and signing secret (shown once)')
    .requiredOption('--name <name>', 'a name for humans', nonEmpty)
    .requiredOption('--sql <sql>', 'one SELECT over the lake, as `hooklake query` runs it (or @file.sql)', nonEmpty)
    .requiredOption('--primary-key <column>', "the column of the query's result that identifies a row", nonEmpty)
    .requiredOption('--mode <mode>', `${SYNC_MODES.join(', ')}`, mode)
    .requiredOption('--url <url>', 'where the rows go (http or https)', nonEmpty)
    .option('--method <method>', 'GET or POST (default POST)', method)
    .option('--format <format>', 'POST body: json (default) or form (bracket keys)', format)
    .option('--map <pairs>', 'source:destination,... (default: every column under its own name)', mapping)
    .option('--header <header>', "extra request header 'Name: value' (repeatable)", header)
    .option('--every <duration>', 'run every N minutes: 15m, 2h, 1d', every)
    .option('--cron <expression>', "run on an EventBridge cron expression in UTC, e.g. '0 * * * ? *'", nonEmpty)
    .option('--pipeline <id>', 'the query sees only this pipeline (less to copy)', positiveInt)
    .option('--skip-test', 'create it without the connection test')
    .option('--disabled', 'create it disabled (enable later with `syncs enable`)')
    .action(async (options: CreateOptions, command: Command) => {
      if (options.every !== undefined && options.cron !== undefined) command.error('error: give --every or --cron, not both');
      if (options.format === 'form' && options.method === 'GET') {
        command.error('error: --format form applies to POST only (GET requests carry the row as query parameters)');
      }
      const schedule =
        options.every !== undefined
          ? { kind: 'every', minutes: options.every }
          : options.cron !== undefined
            ? { kind: 'cron', expression: options.cron }
            : undefined;
      const created = await client(command).request<CreatedSyncJson>('POST', '/v4/syncs', {
        name: options.name,
        sql: sqlText(io, options.sql),
        primary_key: options.primaryKey,
        mode: options.mode,
        webhook_url: options.url,
        ...(options.method === undefined ? {} : { webhook_http_method: options.method }),
        ...(options.format === undefined ? {} : { format: options.format }),
        ...(options.map === undefined ? {} : { mapping: options.map }),
        ...(options.header === undefined ? {} : { headers: options.header }),
        ...(schedule === undefined ? {} : { schedule }),
        ...(options.pipeline === undefined ? {} : { pipeline_id: options.pipeline }),
        ...(options.skipTest === true ? { skip_test: true } : {}),
        ...(options.disabled === true ? { enabled: false } : {}),
      });
      emit(io, command, created, () =>
        [
          describeSync(created, [
            ['connection_test', describeTest(created.connection_test)],
            ['secret', created.secret],
          ]),
          '',
          'The secret is shown only once: store it now. Every request is signed the Standard Webhooks way',
          '(webhook-id, webhook-timestamp and webhook-signature headers); verify with this secret.',
          `Run it now: hooklake syncs run ${created.id} --wait`,
        ].join('\n'),
      );
    });

  withListOptions(syncs.command('list').description('list syncs (never their secrets), in id order')).action(async (options: ListOptions, command: Command) => {
    const listed = await listPages<SyncJson>(client(command), '/v4/syncs', 'syncs', options);
    const list = listed.items;
    emit(io, command, list, () =>
      list.length === 0
        ? 'No syncs yet: hooklake syncs create --name N --sql SQL --primary-key COL --mode upsert --url URL'
        : table(
            ['id', 'name', 'mode', 'schedule', 'url', 'enabled', 'active_run'],
            list.map((s) => [s.id, s.name, s.mode, scheduleText(s.schedule), s.webhook_url, yesNo(s.enabled), s.active_run_id ?? '']),
          ) + moreHint(listed),
    );
  });

  syncs
    .command('get')
    .description('show one sync')
    .argument('<id>', 'sync id', syncId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const sync = await client(command).request<SyncJson>('GET', path(id));
      emit(io, command, sync, () => describeSync(sync));
    });

  syncs
    .command('delete')
    .description('delete a sync (a run in progress ends failed; its snapshot is removed)')
    .argument('<id>', 'sync id', syncId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const deleted = await client(command).request<SyncJson & { deleted: true }>('DELETE', path(id));
      emit(io, command, deleted, () => `Deleted sync ${deleted.id} (${deleted.name})`);
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    syncs
      .command(name)
      .description(enabled ? 'resume a sync (its schedule and manual runs)' : 'stop a sync: no scheduled or manual runs until enabled')
      .argument('<id>', 'sync id', syncId)
      .action(async (id: string, _options: unknown, command: Command) => {
        const updated = await client(command).request<SyncJson>('PATCH', path(id), { enabled });
        emit(io, command, updated, () => `${enabled ? 'Enabled' : 'Disabled'} sync ${updated.id} (${updated.name})`);
      });
  }

  syncs
    .command('run')
    .description('start a run now; with --wait, follow it until it ends (exit 1 when it fails or is still going at --timeout)')
    .argument('<id>', 'sync id', syncId)
    .option('--wait', 'wait until every row-op is delivered or failed')
    .option('--timeout <seconds>', `with --wait: give up waiting after this long (default ${DEFAULT_WAIT_SECONDS})`, positiveInt)
    .action(async (id: string, options: { wait?: boolean; timeout?: number }, command: Command) => {
      const api = client(command);
      const started = await api.request<SyncRunJson>('POST', `${path(id)}/runs`);
      if (options.wait !== true) {
        emit(io, command, started, () => `${describeRun(started)}\nFollow it: hooklake syncs runs ${id}`);
        return;
      }
      const timeoutSeconds = options.timeout ?? DEFAULT_WAIT_SECONDS;
      const run = await waitForRun(io, api, started, timeoutSeconds * 1000);
      emit(io, command, run, () => describeRun(run));
      if (!isFinalRunStatus(run.status)) {
        throw new CliError(`run ${run.run_id} is still ${run.status} after ${timeoutSeconds} s; follow it with: hooklake syncs runs ${id}`);
      }
      if (run.status === 'failed') throw new CliError(`run ${run.run_id} failed${run.error === null ? '' : `: ${run.error}`}`);
    });

  withListOptions(
    syncs.command('runs').description("the runs page: one row per run, newest first, with what the receiver got").argument('<id>', 'sync id', syncId),
  ).action(async (id: string, options: ListOptions, command: Command) => {
    const listed = await listPages<SyncRunJson>(client(command), `${path(id)}/runs`, 'runs', options);
    const runs = listed.items;
    emit(io, command, runs, () =>
      runs.length === 0
        ? `No runs of ${id} yet: hooklake syncs run ${id}`
        : table(
            ['run_id', 'started_at', 'trigger', 'status', 'rows', 'counts', 'delivered', 'failed', 'pending', 'error'],
            runs.map((run) => [run.run_id, run.started_at, run.trigger, run.status, run.rows, countsText(run.counts), run.delivered, run.failed, run.pending, run.error ?? '']),
          ) + moreHint(listed),
    );
  });

  withListOptions(
    withDeliveryFilters(
      syncs
        .command('deliveries')
        .description('the delivery log of a sync (one delivery per row-op), newest first')
        .argument('<id>', 'sync id', syncId),
    ),
  ).action(async (id: string, options: DeliveriesOptions, command: Command) => {
    const query = deliveryFilterQuery(options);
    const listed = await listPages<SyncDeliveryJson>(client(command), `${path(id)}/deliveries`, 'deliveries', options, query);
    const deliveries = listed.items;
    emit(io, command, deliveries, () =>
      deliveries.length === 0
        ? query.size === 0
          ? `No deliveries for ${id} yet: hooklake syncs run ${id}`
          : `No deliveries of ${id} match these filters`
        : deliveriesTable(deliveries) + moreHint(listed),
    );
  });

  syncs
    .command('redeliver')
    .description('queue one delivery of a sync again, or every failed one created in a time range (a finished run keeps its counts)')
    .argument('<id>', 'sync id', syncId)
    .argument('[delivery_id]', 'one delivery (from `syncs deliveries`)')
    .option('--failed', 'every failed delivery created in --since..--until')
    .option('--since <time>', 'with --failed: created since: ISO time, date (UTC) or duration ago (2h, 7d)', (value: string) => pointInTime(value))
    .option('--until <time>', 'end of the range (default: now)', (value: string) => pointInTime(value))
    .action(async (id: string, deliveryId: string | undefined, options: { failed?: boolean; since?: string; until?: string }, command: Command) => {
      const api = client(command);
      if (deliveryId !== undefined) {
        if (options.failed === true || options.since !== undefined || options.until !== undefined) {
          command.error('error: give either a delivery id or --failed --since/--until, not both');
        }
        const delivery = await api.request<SyncDeliveryJson>('POST', `${path(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
        emit(io, command, delivery, () => `Queued delivery ${delivery.id} again; webhook-id ${delivery.webhookId}`);
        return;
      }
      if (options.since === undefined) command.error('error: give a delivery id, or --failed --since (and --until) for every failed delivery in a range');
      await redeliverFailedInRange(io, command, api, path(id), id, options.since, options.until);
    });
}
