// Pagination of every list: `limit` and an opaque `cursor` in, `next_cursor` out (null on the last
// page). A cursor is base64url of `{"l": list, "k": key}`, the key after which the next page
// starts (the store's exclusive start key, in the list's own terms: a pipeline id, a token key, a
// subscription id, ...). It is checked on the way in: another list's cursor, a key of the wrong
// shape or anything that does not decode is INVALID_REQUEST. The store builds the start key in its
// own partition from that key alone, so a cursor cannot reach outside the list it came from.
import * as v from 'valibot';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../domain/list-limits.ts';
import type { Page, PageRequest } from '../ports/page.ts';
import { ApiError } from './errors.ts';

/** Longest cursor accepted: a key of the longest list (delivery ids, 128 characters) fits with room. */
const MAX_CURSOR_LENGTH = 512;

const Limit = v.pipe(
  v.string(),
  v.regex(/^[1-9][0-9]{0,5}$/, `must be an integer from 1 to ${MAX_LIST_LIMIT}`),
  v.description(`Items per page, 1 to ${MAX_LIST_LIMIT}; default ${DEFAULT_LIST_LIMIT}.`),
  v.transform(Number),
  v.maxValue(MAX_LIST_LIMIT, `must be an integer from 1 to ${MAX_LIST_LIMIT}`),
);

const Cursor = v.pipe(
  v.string(),
  v.maxLength(MAX_CURSOR_LENGTH, 'is not a cursor of this list'),
  v.regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor of this list'),
  v.description('`next_cursor` of the previous page; opaque.'),
);

/** The query parameters every list takes; spread into the route's query schema. */
export const PAGE_QUERY = { limit: v.optional(Limit), cursor: v.optional(Cursor) };

/** The field every list answers with besides its items. */
export const NextCursor = v.pipe(v.nullable(v.string()), v.description('Pass as `cursor` for the next page; null on the last page.'));

export function encodeCursor(list: string, key: string | number): string {
  return Buffer.from(JSON.stringify({ l: list, k: key }), 'utf8').toString('base64url');
}

/** The key inside a cursor of `list`, or INVALID_REQUEST. */
export function decodeCursor<K>(cursor: string, list: string, key: v.GenericSchema<unknown, K>): K {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  const result = v.safeParse(v.strictObject({ l: v.literal(list), k: key }), payload);
  if (!result.success) throw new ApiError('INVALID_REQUEST', `invalid query: cursor is not a cursor of this list (${list})`);
  return result.output.k;
}

/** A list's pagination: its name in cursors and the shape of its keys. */
export interface ListPaging<K> {
  list: string;
  key: v.GenericSchema<unknown, K>;
}

/** The store's page request from the route's query (limit and cursor, both validated). */
export function pageRequest<K>(paging: ListPaging<K>, query: { limit?: number | undefined; cursor?: string | undefined }): PageRequest<K> {
  return {
    limit: query.limit ?? DEFAULT_LIST_LIMIT,
    ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor, paging.list, paging.key) }),
  };
}

/** `next_cursor` of a page. */
export function nextCursor<K extends string | number>(paging: ListPaging<K>, page: Page<unknown, K>): string | null {
  return page.next === undefined ? null : encodeCursor(paging.list, page.next);
}
