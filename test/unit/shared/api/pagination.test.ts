// shared/api/pagination.ts on its own: the `limit` and `cursor` query schemas every list shares
// (their checks, messages and the descriptions the OpenAPI document shows), and cursors in and out.
// test/unit/shared/api/pagination.test.ts runs the same rules through every list route of the API.
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, NextCursor, nextCursor, PAGE_QUERY, pageRequest, type ListPaging } from '../../../../shared/api/pagination.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../../../shared/domain/list-limits.ts';

const Query = v.object(PAGE_QUERY);
const PIPELINES: ListPaging<number> = { list: 'pipelines', key: v.pipe(v.number(), v.integer(), v.minValue(1)) };
const TOKENS: ListPaging<string> = { list: 'tokens', key: v.pipe(v.string(), v.uuid()) };

const messages = (input: unknown) => v.safeParse(Query, input).issues?.map((issue) => issue.message);

describe('limit', () => {
  it.each([
    ['1', 1],
    ['100', 100],
    ['999', 999],
    [String(MAX_LIST_LIMIT), MAX_LIST_LIMIT],
  ])('takes %s as the number %d', (text, limit) => {
    expect(v.parse(Query, { limit: text })).toEqual({ limit });
  });

  it.each(['0', '01', '-1', '1.5', '1e3', 'ten', '', ' 5', '5 ', String(MAX_LIST_LIMIT + 1), '999999', '1000000'])(
    'refuses %j, saying which integers it takes',
    (text) => {
      expect(messages({ limit: text })).toEqual([`must be an integer from 1 to ${MAX_LIST_LIMIT}`]);
    },
  );
});

describe('cursor', () => {
  const valid = encodeCursor('pipelines', 42);

  it('takes a cursor of ours as it is', () => {
    expect(v.parse(Query, { cursor: valid })).toEqual({ cursor: valid });
  });

  // Base64url decoding skips characters outside its alphabet, so without the whole-string check a
  // padded cursor would decode to the same key: the schema takes exactly the characters it makes.
  it.each([
    ['text before it', `!!${valid}`],
    ['text after it', `${valid}!!`],
    ['a character inside it', `${valid.slice(0, 5)}.${valid.slice(5)}`],
    ['padding', `${valid}==`],
    ['nothing', ''],
    ['more than 512 characters', 'A'.repeat(513)],
  ])('refuses one with %s', (_what, cursor) => {
    expect(messages({ cursor })).toEqual(['is not a cursor of this list']);
  });

  it('takes one of exactly 512 characters to the decoder (the schema bounds the length only)', () => {
    expect(messages({ cursor: 'A'.repeat(512) })).toBeUndefined();
  });
});

describe('what the OpenAPI document says of them', () => {
  it('limit names its range and default; cursor and next_cursor say how to page', () => {
    const query = toJsonSchema(Query, { errorMode: 'ignore' }) as { properties: Record<string, { description?: string }> };
    expect(query.properties.limit!.description).toMatch(new RegExp(`\\b1 to ${MAX_LIST_LIMIT}\\b.*\\bdefault ${DEFAULT_LIST_LIMIT}\\b`));
    expect(query.properties.cursor!.description).toMatch(/`next_cursor` of the previous page/);
    expect((toJsonSchema(NextCursor, { errorMode: 'ignore' }) as { description?: string }).description).toMatch(/`cursor`.*next page.*null on the last page/);
  });

  it('next_cursor is a string or null', () => {
    expect(v.parse(NextCursor, null)).toBeNull();
    expect(v.parse(NextCursor, 'abc')).toBe('abc');
    expect(v.safeParse(NextCursor, 3).success).toBe(false);
  });
});

describe('encodeCursor and decodeCursor', () => {
  it('carry the key of their own list, text keys in full Unicode included', () => {
    expect(decodeCursor(encodeCursor('pipelines', 7), 'pipelines', PIPELINES.key)).toBe(7);
    const key = 'évènement-😀-\u2028-日本';
    const cursor = encodeCursor('events', key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'events', v.string())).toBe(key);
  });

  it.each([
    ['another list', encodeCursor('tokens', 7)],
    ['a key of the wrong shape', encodeCursor('pipelines', 'seven')],
    ['text that is not JSON', Buffer.from('{"l":"pipelines",').toString('base64url')],
    ['JSON that is not an object', Buffer.from('[1]').toString('base64url')],
    ['an extra field', Buffer.from(JSON.stringify({ l: 'pipelines', k: 7, pk: 'ADMIN' })).toString('base64url')],
  ])('refuse a cursor of %s with INVALID_REQUEST naming the list', (_what, cursor) => {
    expect(() => decodeCursor(cursor, 'pipelines', PIPELINES.key)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', message: 'invalid query: cursor is not a cursor of this list (pipelines)' }),
    );
  });
});

describe('pageRequest and nextCursor', () => {
  it('default to DEFAULT_LIST_LIMIT items from the start', () => {
    expect(pageRequest(PIPELINES, {})).toStrictEqual({ limit: DEFAULT_LIST_LIMIT });
    expect(pageRequest(PIPELINES, { limit: 3 })).toStrictEqual({ limit: 3 });
  });

  it('start after the key of the previous page, which nextCursor put in the cursor', () => {
    const cursor = nextCursor(TOKENS, { items: [], next: '3f0c9a55-3c3e-4b8e-9a34-0d4b1c9e2f11' });
    expect(cursor).not.toBeNull();
    expect(pageRequest(TOKENS, { limit: 5, cursor: cursor! })).toStrictEqual({ limit: 5, after: '3f0c9a55-3c3e-4b8e-9a34-0d4b1c9e2f11' });
    expect(() => pageRequest(PIPELINES, { cursor: cursor! })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('nextCursor is null on the last page', () => {
    expect(nextCursor(PIPELINES, { items: [1, 2] })).toBeNull();
    expect(nextCursor(PIPELINES, { items: [1, 2], next: 2 })).toBe(encodeCursor('pipelines', 2));
  });
});
