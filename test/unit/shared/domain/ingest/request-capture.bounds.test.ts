// shared/domain/ingest/request-capture.ts at its bounds: whatever the headers and query hold (control
// characters that JSON escapes to 6 bytes, cookies, names in any case, thousands of entries), the
// kept JSON stays within MAX_CAPTURED_JSON_BYTES and MAX_CAPTURED_ENTRIES, what is left out is
// counted, and what fits is kept. Also the fast path's promises (headers handed back as they are)
// and the bound on the header rules it remembers. test/unit/request-capture.test.ts covers the rules.
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../../../shared/domain/ingest/credential-names.ts';
import {
  captureHeaders,
  captureQuery,
  MAX_CAPTURED_ENTRIES,
  MAX_CAPTURED_JSON_BYTES,
  redactedQueryPairs,
  rememberedHeaderRules,
  RULE_CACHE_LIMIT,
  storedHeaders,
  TRUNCATED_KEY,
} from '../../../../../shared/domain/ingest/request-capture.ts';

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
/** One-character header names (RFC 9110 token characters), none of them `a`. */
const NAMES = [...'bcdefghijklmnopqrstuvwxyz0123456789!#$%&*+.^_|~-'];
/** JSON writes it as `\u0001`: 6 bytes for one UTF-16 unit, the most any character takes. */
const CONTROL = '\u0001';

/** `total` control characters shared out over `count` values. */
function values(count: number, total: number): string[] {
  return Array.from({ length: count }, (_, i) => CONTROL.repeat(Math.floor(total / count) + (i < total % count ? 1 : 0)));
}

/** The kept result against what was sent (names as kept): within both bounds, kept values unchanged, every left-out entry counted. */
function expectBounded(result: Record<string, unknown>, expected: Record<string, unknown>, label: string): void {
  expect(jsonBytes(result), label).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
  const kept = Object.keys(result).filter((name) => name !== TRUNCATED_KEY);
  expect(kept.length, label).toBeLessThanOrEqual(MAX_CAPTURED_ENTRIES);
  for (const name of kept) expect(result[name], `${label}: ${name}`).toEqual(expected[name]);
  const left = Object.keys(expected).length - kept.length;
  if (left === 0) expect(result, label).not.toHaveProperty([TRUNCATED_KEY]);
  else expect(result[TRUNCATED_KEY], label).toBe(String(left));
}

// First in the file: the other tests invent names too (each test file runs in a process of its own).
describe('the header rules it remembers', () => {
  it(`are at most ${RULE_CACHE_LIMIT}, however many names senders invent`, () => {
    const before = rememberedHeaderRules();
    expect(before).toBeLessThan(RULE_CACHE_LIMIT);
    captureHeaders({ 'x-never-seen-before': '1' });
    expect(rememberedHeaderRules()).toBe(before + 1);
    captureHeaders({ 'x-never-seen-before': '2' });
    expect(rememberedHeaderRules()).toBe(before + 1);
    for (let round = 0; round < 30; round++) {
      const headers = Object.fromEntries(Array.from({ length: MAX_CAPTURED_ENTRIES }, (_, i) => [`x-invented-${round}-${i}`, 'v']));
      expect(captureHeaders(headers)).toBe(headers);
    }
    expect(rememberedHeaderRules()).toBe(RULE_CACHE_LIMIT);
    // Past the bound, names are still judged, just not remembered.
    expect(captureHeaders({ 'x-invented-token': 't' })).toEqual({ 'x-invented-token': REDACTED });
  });
});

describe('the JSON bound holds at its very edge', () => {
  // Totals from well under to just over what fits, one control character at a time, so every
  // estimate the capture makes before measuring is tried where it matters.
  const totals = Array.from({ length: 150 }, (_, i) => 2600 + i);

  it.each([1, 2, NAMES.length])('headers: %i of them, as API Gateway hands them over and with a name in upper case, with and without cookies', (count) => {
    for (const total of totals) {
      const sent = values(count, total);
      const lower = Object.fromEntries(sent.map((value, i) => [NAMES[i]!, value]));
      const mixed = Object.fromEntries(sent.map((value, i) => [i === 0 ? NAMES[i]!.toUpperCase() : NAMES[i]!, value]));
      for (const [headers, cookies] of [
        [lower, undefined],
        [mixed, undefined],
        [lower, ['session=1']],
        [mixed, ['session=1']],
      ] as const) {
        const expected = { ...lower, ...(cookies === undefined ? {} : { cookie: REDACTED }) };
        expectBounded(captureHeaders(headers, cookies), expected, `${count} headers, ${total} characters, ${cookies === undefined ? 'no ' : ''}cookies, ${headers === mixed ? 'mixed' : 'lower'} case`);
      }
    }
  });

  it.each([1, 2, NAMES.length])('query: %i parameters, and one name repeated as often', (count) => {
    for (const total of totals) {
      const sent = values(count, total);
      const pairs = sent.map((value, i) => [NAMES[i]!, value] as const);
      expectBounded(captureQuery(pairs), Object.fromEntries(pairs), `${count} parameters, ${total} characters`);
      const repeated = sent.map((value) => ['b', value] as const);
      const kept = captureQuery(repeated);
      expect(jsonBytes(kept)).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
      if (!(TRUNCATED_KEY in kept)) expect(kept).toEqual({ b: count === 1 ? sent[0] : sent });
    }
  });

  it('with thousands left out (a four-digit count in the marker), whatever the size of the last entry that fits', () => {
    const big = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`h${String(i).padStart(3, '0')}`, 'v'.repeat(154)]));
    const tiny = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`t${String(i).padStart(4, '0')}`, '']));
    for (let last = 80; last <= 150; last++) {
      const sent = { ...big, h099: 'w'.repeat(last), ...tiny };
      const kept = captureHeaders(sent);
      expectBounded(kept, sent, `last entry of ${last} characters`);
      expect(kept[TRUNCATED_KEY]).toBe('1000');
    }
  });
});

describe('what fits is kept', () => {
  /** Room kept back for the marker with a count of up to 6 digits: `,"[truncated]":"999999"`. */
  const markerRoom = `,${JSON.stringify(TRUNCATED_KEY)}:"999999"`.length;
  /** Bytes of `"name":"value",` for ASCII. */
  const entry = (name: string, value: string) => name.length + value.length + 6;

  it('an entry that takes the last byte of room is kept; the next one, which does not fit, is counted', () => {
    const budget = MAX_CAPTURED_JSON_BYTES - 2 - markerRoom;
    const first = 'x'.repeat(8000);
    const second = 'y'.repeat(budget - entry('a', first) - entry('b', ''));
    expect(entry('a', first) + entry('b', second)).toBe(budget);
    const kept = captureHeaders({ a: first, b: second, c: 'z' });
    expect(kept).toEqual({ a: first, b: second, [TRUNCATED_KEY]: '1' });
    // One character more and the second one is left out instead, the third kept.
    expect(captureHeaders({ a: first, b: `${second}y`, c: 'z' })).toEqual({ a: first, c: 'z', [TRUNCATED_KEY]: '1' });
  });

  it('headers that only fit once measured (multi-byte characters) are kept whole, without a marker', () => {
    const headers = { 'x-one': 'é'.repeat(4000), 'x-two': 'ü'.repeat(4000) };
    expect(jsonBytes(headers)).toBeLessThan(MAX_CAPTURED_JSON_BYTES);
    expect(captureHeaders(headers)).toEqual(headers);
    expect(captureQuery(Object.entries(headers))).toEqual(headers);
  });

  it(`the marker is named ${TRUNCATED_KEY}, as the README documents`, () => {
    const kept = captureQuery(Array.from({ length: MAX_CAPTURED_ENTRIES + 50 }, (_, i) => [`p${i}`, 'v'] as const));
    expect(Object.keys(kept)).toHaveLength(MAX_CAPTURED_ENTRIES + 1);
    expect(kept['[truncated]']).toBe('50');
    expect(kept.p99).toBe('v');
    expect(kept).not.toHaveProperty('p100');
  });

  it("keeps Shopify's delivery id header first when not everything fits, like the other providers' id headers", () => {
    const filler = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-filler-${i}`, 'y'.repeat(100)]));
    const kept = captureHeaders({ ...filler, 'x-shopify-webhook-id': 'b54557e4', 'x-github-delivery': 'd-1', 'webhook-id': 'msg_1' });
    expect(kept).toMatchObject({ 'x-shopify-webhook-id': 'b54557e4', 'x-github-delivery': 'd-1', 'webhook-id': 'msg_1' });
  });

  it('a repeated query name keeps every value whole, in order', () => {
    expect(captureQuery([['tag', 'red'], ['tag', 'green'], ['tag', 'blue']])).toEqual({ tag: ['red', 'green', 'blue'] });
  });
});

describe('headers as API Gateway hands them over', () => {
  it('are handed back as they are (no copy) when nothing needs redacting, up to exactly the entry bound', () => {
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push' };
    expect(captureHeaders(headers)).toBe(headers);
    const hundred = Object.fromEntries(Array.from({ length: MAX_CAPTURED_ENTRIES }, (_, i) => [`x-h${i}`, 'v']));
    expect(captureHeaders(hundred)).toBe(hundred);
  });

  it('are copied, never changed, when a credential is redacted or cookies are added', () => {
    const headers = { 'content-type': 'application/json', authorization: 'Bearer s3cr3t' };
    const kept = captureHeaders(headers);
    expect(kept).toEqual({ 'content-type': 'application/json', authorization: REDACTED });
    expect(headers.authorization).toBe('Bearer s3cr3t');
    const plain = { 'content-type': 'text/plain' };
    expect(captureHeaders(plain, ['session=1'])).toEqual({ 'content-type': 'text/plain', cookie: REDACTED });
    expect(plain).toEqual({ 'content-type': 'text/plain' });
  });

  it('none at all are an empty object; cookies alone a redacted cookie header', () => {
    expect(captureHeaders(undefined)).toEqual({});
    expect(captureHeaders(undefined, ['session=1'])).toEqual({ cookie: REDACTED });
  });

  it('a header without a value is left out', () => {
    expect(captureHeaders({ 'x-a': undefined, 'x-b': 'x' })).toEqual({ 'x-b': 'x' });
    expect(captureHeaders({ 'x-b': 'x', 'x-a': undefined })).toEqual({ 'x-b': 'x' });
  });

  it('names in upper case with cookies: the cookie header is added once, redacted', () => {
    expect(captureHeaders({ 'X-A': '1' }, ['session=1'])).toEqual({ 'x-a': '1', cookie: REDACTED });
    expect(captureHeaders({ Cookie: 'theme=dark', 'X-A': '1' }, ['session=1'])).toEqual({ cookie: REDACTED, 'x-a': '1' });
  });
});

describe('the same object back when nothing changes', () => {
  it('redactedQueryPairs with no credential or signature among the parameters', () => {
    const pairs = [['type', 'add'], ['id', '7']] as const;
    expect(redactedQueryPairs(pairs)).toBe(pairs);
    expect(redactedQueryPairs([['type', 'add'], ['api_key', 'k']])).toEqual([['type', 'add'], ['api_key', REDACTED]]);
  });

  it('storedHeaders when the only signature header is already redacted', () => {
    const headers = { 'x-signature': REDACTED, 'content-type': 'application/json' };
    expect(storedHeaders(headers, new Set())).toBe(headers);
  });
});
