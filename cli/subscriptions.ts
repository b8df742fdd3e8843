// hooklake subscriptions create|list|get|delete|enable|disable|test|deliveries|redeliver
import { InvalidArgumentError, type Command } from 'commander';
import { SUBSCRIPTION_ID } from '../shared/domain/delivery/destinations.ts';
import type {
  ConnectionTestJson,
  CreatedSubscriptionJson,
  DeliveryJson,
  SubscriptionJson,
} from '../shared/api/subscriptions.ts';
import { apiClient } from './api-client.ts';
import { commaList, nonEmpty, pointInTime, positiveInt } from './args.ts';
import { CliError, emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { deliveryFilterQuery, redeliverFailedInRange, withDeliveryFilters, type DeliveriesOptions } from './deliveries.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { resolveApiTarget } from './target.ts';

function subscriptionId(value: string): string {
  if (!SUBSCRIPTION_ID.test(value)) throw new InvalidArgumentError('expected a subscription id (sub_...).');
  return value;
}

export function method(value: string): 'GET' | 'POST' {
  const upper = value.trim().toUpperCase();
  if (upper !== 'GET' && upper !== 'POST') throw new InvalidArgumentError('expected GET or POST.');
  return upper;
}

export function format(value: string): 'json' | 'form' {
  const lower = value.trim().toLowerCase();
  if (lower !== 'json' && lower !== 'form') throw new InvalidArgumentError('expected json or form.');
  return lower;
}

/** `--header 'Name: value'`, repeatable, collected into an object. */
export function header(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const colon = value.indexOf(':');
  const name = colon < 0 ? '' : value.slice(0, colon).trim();
  if (name === '') throw new InvalidArgumentError("expected 'Name: value'.");
  const headers = { ...previous };
  if (Object.keys(headers).some((known) => known.toLowerCase() === name.toLowerCase())) {
    throw new InvalidArgumentError(`${name} is given twice.`);
  }
  headers[name] = value.slice(colon + 1).trim();
  return headers;
}

const yesNo = (flag: boolean) => (flag ? 'yes' : 'no');
const pipelineText = (s: SubscriptionJson) => (s.pipelineId === null ? 'any' : String(s.pipelineId));

export function describeSubscription(s: SubscriptionJson, extra: [string, string][] = []): string {
  const headerNames = Object.keys(s.headers);
  return keyValues([
    ['id', s.id],
    ['url', s.webhookUrl],
    ['method', s.webhookHttpMethod],
    ['format', s.webhookHttpMethod === 'GET' ? 'query parameters' : s.format],
    ['events', s.events.join(', ')],
    ['pipeline', pipelineText(s)],
    ...(s.description === null ? [] : [['description', s.description] as const]),
    // Values can be credentials: names only here, values with --json.
    ...(headerNames.length === 0 ? [] : [['headers', headerNames.join(', ')] as const]),
    ['enabled', yesNo(s.enabled)],
    ['created_at', s.createdAt],
    ['updated_at', s.updatedAt],
    ...extra,
  ]);
}

export function describeTest(result: ConnectionTestJson): string {
  const answer = result.statusCode === null ? 'no HTTP answer' : `HTTP ${result.statusCode}`;
  const lines = [`${result.ok ? 'OK' : 'FAILED'}: ${answer} in ${result.latencyMs} ms${result.errorClass === null ? '' : ` (${result.errorClass})`}`];
  if (result.responseSnippet !== null && result.responseSnippet !== '') lines.push(`response: ${result.responseSnippet}`);
  return lines.join('\n');
}

function deliveriesTable(deliveries: readonly DeliveryJson[]): string {
  return table(
    ['id', 'time', 'event', 'status', 'attempts', 'last_code', 'last_error'],
    deliveries.map((d) => {
      const last = d.attempts.at(-1);
      const status = d.status === 'pending' && d.nextAttemptAt !== null ? `pending (next ${d.nextAttemptAt})` : d.status;
      return [d.id, d.createdAt, d.eventType, status, d.attempts.length, last?.statusCode ?? null, last?.errorClass ?? ''];
    }),
  );
}

interface CreateOptions {
  url: string;
  events: string[];
  method?: 'GET' | 'POST';
  format?: 'json' | 'form';
  pipeline?: number;
  description?: string;
  header?: Record<string, string>;
  disabled?: boolean;
}


export function registerSubscriptions(program: Command, io: CliIo): void {
  const subscriptions = program
    .command('subscriptions')
    .description('subscribe URLs to events (outbound webhooks), inspect deliveries and redeliver');
  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));
  const path = (id: string) => `/v4/webhook-subscriptions/${id}`;

  subscriptions
    .command('create')
    .description('subscribe a URL to events; prints its id and signing secret (the secret is shown once)')
    .requiredOption('--url <url>', 'where deliveries go (http or https)', nonEmpty)
    .requiredOption('--events <types>', 'comma-separated event types (see `hooklake events`)', commaList)
    .option('--method <method>', 'GET or POST (default POST)', method)
    .option('--format <format>', 'POST body: json (default) or form (bracket-encoded, as Kommo sends)', format)
    .option('--pipeline <id>', 'only events of this pipeline', positiveInt)
    .option('--description <text>', 'a note for humans')
    .option('--header <header>', "extra request header 'Name: value' (repeatable)", header)
    .option('--disabled', 'create it disabled (enable later with `subscriptions enable`)')
    .action(async (options: CreateOptions, command: Command) => {
      if (options.format === 'form' && options.method === 'GET') {
        command.error('error: --format form applies to POST only (GET deliveries carry the data as query parameters)');
      }
      const created = await client(command).request<CreatedSubscriptionJson>('POST', '/v4/webhook-subscriptions', {
        webhookUrl: options.url,
        events: options.events,
        ...(options.method === undefined ? {} : { webhookHttpMethod: options.method }),
        ...(options.format === undefined ? {} : { format: options.format }),
        ...(options.pipeline === undefined ? {} : { pipelineId: options.pipeline }),
        ...(options.description === undefined ? {} : { description: options.description }),
        ...(options.header === undefined ? {} : { headers: options.header }),
        ...(options.disabled === true ? { enabled: false } : {}),
      });
      emit(io, command, created, () =>
        [
          describeSubscription(created, [['secret', created.secret]]),
          '',
          'The secret is shown only once: store it now. Every delivery is signed the Standard Webhooks way',
          '(webhook-id, webhook-timestamp and webhook-signature headers); verify with this secret, e.g. in Node:',
          "  new Webhook(secret).verify(rawBody, headers)   // import { Webhook } from 'standardwebhooks'",
          `Send a signed ping now: hooklake subscriptions test ${created.id}`,
        ].join('\n'),
      );
    });

  withListOptions(subscriptions.command('list').description('list subscriptions (never their secrets), in id order')).action(
    async (options: ListOptions, command: Command) => {
      const listed = await listPages<SubscriptionJson>(client(command), '/v4/webhook-subscriptions', 'subscriptions', options);
      const list = listed.items;
      emit(io, command, list, () =>
        list.length === 0
          ? 'No subscriptions yet: hooklake subscriptions create --url URL --events a,b'
          : table(
              ['id', 'method', 'url', 'events', 'pipeline', 'enabled'],
              list.map((s) => [s.id, s.webhookHttpMethod, s.webhookUrl, s.events.join(','), pipelineText(s), yesNo(s.enabled)]),
            ) + moreHint(listed),
      );
    },
  );

  subscriptions
    .command('get')
    .description('show one subscription')
    .argument('<id>', 'subscription id', subscriptionId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const subscription = await client(command).request<SubscriptionJson>('GET', path(id));
      emit(io, command, subscription, () => describeSubscription(subscription));
    });

  subscriptions
    .command('delete')
    .description('delete a subscription (its pending retries stop)')
    .argument('<id>', 'subscription id', subscriptionId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const deleted = await client(command).request<SubscriptionJson & { deleted: true }>('DELETE', path(id));
      emit(io, command, deleted, () => `Deleted subscription ${deleted.id} (${deleted.webhookUrl})`);
    });

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    subscriptions
      .command(name)
      .description(enabled ? 'resume deliveries to a subscription' : 'stop delivering new events to a subscription')
      .argument('<id>', 'subscription id', subscriptionId)
      .action(async (id: string, _options: unknown, command: Command) => {
        const updated = await client(command).request<SubscriptionJson>('PATCH', path(id), { enabled });
        emit(io, command, updated, () => `${enabled ? 'Enabled' : 'Disabled'} subscription ${updated.id} (${updated.webhookUrl})`);
      });
  }

  subscriptions
    .command('test')
    .description('send a signed ping and report the answer; exits 1 when the endpoint does not answer 2xx')
    .argument('<id>', 'subscription id', subscriptionId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const result = await client(command).request<ConnectionTestJson>('POST', `${path(id)}/test`);
      emit(io, command, result, () => describeTest(result));
      if (!result.ok) throw new CliError(`the connection test of ${id} failed`);
    });

  withListOptions(
    withDeliveryFilters(
      subscriptions
        .command('deliveries')
        .description('the delivery log of a subscription, newest first')
        .argument('<id>', 'subscription id', subscriptionId),
    ),
  ).action(async (id: string, options: DeliveriesOptions, command: Command) => {
    const query = deliveryFilterQuery(options);
    const listed = await listPages<DeliveryJson>(client(command), `${path(id)}/deliveries`, 'deliveries', options, query);
    const deliveries = listed.items;
    emit(io, command, deliveries, () =>
      deliveries.length === 0
        ? query.size === 0
          ? `No deliveries for ${id} yet`
          : `No deliveries of ${id} match these filters`
        : deliveriesTable(deliveries) + moreHint(listed),
    );
  });

  subscriptions
    .command('redeliver')
    .description('queue one delivery again, or every failed delivery created in a time range')
    .argument('<id>', 'subscription id', subscriptionId)
    .argument('[delivery_id]', 'one delivery (from `subscriptions deliveries`)')
    .option('--since <time>', 'redeliver the failed deliveries created since: ISO time, date (UTC) or duration ago (2h, 7d)', (value: string) =>
      pointInTime(value),
    )
    .option('--until <time>', 'end of the range (default: now)', (value: string) => pointInTime(value))
    .action(async (id: string, deliveryId: string | undefined, options: { since?: string; until?: string }, command: Command) => {
      const api = client(command);
      if (deliveryId !== undefined) {
        if (options.since !== undefined || options.until !== undefined) {
          command.error('error: give either a delivery id or --since/--until, not both');
        }
        const delivery = await api.request<DeliveryJson>('POST', `${path(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`);
        emit(io, command, delivery, () => `Queued delivery ${delivery.id} (${delivery.eventType}) again; webhook-id ${delivery.webhookId}`);
        return;
      }
      if (options.since === undefined) command.error('error: give a delivery id, or --since (and --until) for every failed delivery in a range');
      await redeliverFailedInRange(io, command, api, path(id), id, options.since, options.until);
    });
}
