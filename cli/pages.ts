// Lists page by page: every list command takes --limit N (items per page) and --all (every page,
// following next_cursor); without --all it prints one page and says when there is more.
import type { Command } from 'commander';
import type { ApiClient } from './api-client.ts';
import { positiveInt } from './args.ts';
import { CliError } from './context.ts';

export interface ListOptions {
  limit?: number;
  all?: boolean;
}

/** Adds --limit and --all to a list command. */
export function withListOptions(command: Command): Command {
  return command
    .option('--limit <n>', 'items per page, 1 to 1000 (default 100)', positiveInt)
    .option('--all', 'every page, following next_cursor');
}

export interface Listed<T> {
  items: T[];
  /** Set when there is more than was fetched (one page without --all). */
  nextCursor: string | null;
}

/** GET `path` page by page: one page, or with `all` every page; `field` names the items in each page. */
export async function listPages<T>(
  client: ApiClient,
  path: string,
  field: string,
  options: ListOptions,
  query: URLSearchParams = new URLSearchParams(),
): Promise<Listed<T>> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const params = new URLSearchParams(query);
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (cursor !== undefined) params.set('cursor', cursor);
    const page = await client.request<Record<string, unknown>>('GET', params.size === 0 ? path : `${path}?${params}`);
    const pageItems = page[field];
    if (!Array.isArray(pageItems)) throw new CliError(`GET ${path}: the answer has no ${field} list`);
    items.push(...(pageItems as T[]));
    const next = typeof page.next_cursor === 'string' ? page.next_cursor : null;
    if (options.all !== true || next === null) return { items, nextCursor: next };
    if (seen.has(next)) throw new CliError(`GET ${path}: the API returned the same cursor twice`);
    seen.add(next);
    cursor = next;
  }
}

/** The line human output ends with when a page is not the last. */
export function moreHint(listed: Listed<unknown>): string {
  return listed.nextCursor === null ? '' : '\nThere is more: run again with --all (or a larger --limit).';
}
