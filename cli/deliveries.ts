// What subscriptions and syncs share on the command line: a delivery log's filters, and the
// redelivery of every failed delivery created in a time range.
import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient } from './api-client.ts';
import { pointInTime } from './args.ts';
import { emit, type CliIo } from './context.ts';
import type { ListOptions } from './pages.ts';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export function deliveryStatus(value: string): DeliveryStatus {
  if (value !== 'pending' && value !== 'succeeded' && value !== 'failed') {
    throw new InvalidArgumentError('expected pending, succeeded or failed.');
  }
  return value;
}

export interface DeliveriesOptions extends ListOptions {
  status?: DeliveryStatus;
  since?: string;
  until?: string;
}

/** Adds --status, --since and --until to a delivery log command. */
export function withDeliveryFilters(command: Command): Command {
  return command
    .option('--status <status>', 'pending, succeeded or failed', deliveryStatus)
    .option('--since <time>', 'created at or after: ISO time, date (UTC) or duration ago (30m, 2h, 7d)', (value: string) => pointInTime(value))
    .option('--until <time>', 'created at or before (same forms as --since)', (value: string) => pointInTime(value));
}

/** The delivery log's query: the API names the range `from` and `to`. */
export function deliveryFilterQuery(options: DeliveriesOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.status !== undefined) query.set('status', options.status);
  if (options.since !== undefined) query.set('from', options.since);
  if (options.until !== undefined) query.set('to', options.until);
  return query;
}

/** POST `<basePath>/redeliver` for the failed deliveries created from `since` to `until` (default now). */
export async function redeliverFailedInRange(
  io: CliIo,
  command: Command,
  api: ApiClient,
  basePath: string,
  id: string,
  since: string,
  until: string | undefined,
): Promise<void> {
  const range = { from: since, to: until ?? new Date().toISOString() };
  const result = await api.request<{ queued: number }>('POST', `${basePath}/redeliver`, range);
  const what = result.queued === 1 ? '1 failed delivery' : `${result.queued} failed deliveries`;
  emit(io, command, { ...result, ...range }, () => `Queued ${what} of ${id} created ${range.from} to ${range.to}`);
}
