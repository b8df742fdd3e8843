// Turning a JSON delivery into something that is not a JSON body: query parameters for GET
// deliveries (valmi's flattening) and a bracket-keyed form body (what Kommo actually posts).
// Both refuse rather than guess: a key collision or an over-long URL is a typed error, never a
// silently dropped or truncated field.

import type { JsonValue } from '../json.ts';

export type { JsonValue };

export type PayloadEncodingErrorCode = 'not_a_container' | 'not_json' | 'too_deep' | 'key_collision' | 'url_too_long';

/** Every refusal of this module; `code` says which rule was hit. */
export class PayloadEncodingError extends Error {
  override name = 'PayloadEncodingError';
  readonly code: PayloadEncodingErrorCode;
  constructor(code: PayloadEncodingErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Two different paths in the JSON render to the same parameter name (`{"a_b":1,"a":{"b":2}}`). */
export class KeyCollisionError extends PayloadEncodingError {
  override name = 'KeyCollisionError';
  readonly key: string;
  /** The two JSON paths, as arrays of segments, that both render to `key`. */
  readonly paths: readonly [readonly string[], readonly string[]];
  constructor(key: string, first: readonly string[], second: readonly string[]) {
    super('key_collision', `parameter '${key}' would come from both ${showPath(first)} and ${showPath(second)}`);
    this.key = key;
    this.paths = [first, second];
  }
}

/** The GET URL would be longer than the limit; nothing is truncated. */
export class UrlTooLongError extends PayloadEncodingError {
  override name = 'UrlTooLongError';
  readonly length: number;
  readonly limit: number;
  constructor(length: number, limit: number) {
    super('url_too_long', `the delivery URL would be ${length} characters, more than the limit of ${limit}`);
    this.length = length;
    this.limit = limit;
  }
}

/** Deeper JSON is refused instead of recursing without bound. */
export const MAX_NESTING_DEPTH = 64;

/** A JSON number kept as its source text (`JSON.rawJSON`, Node 22+): big integers keep every digit. */
interface RawJsonNumber {
  readonly rawJSON: string;
}
type ReviverWithSource = (this: unknown, key: string, value: unknown, context: { source?: string }) => unknown;
const JsonWithSource = JSON as JSON & {
  rawJSON(text: string): RawJsonNumber;
  isRawJSON(value: unknown): value is RawJsonNumber;
};
const parseWithSource = JSON.parse as (text: string, reviver: ReviverWithSource) => unknown;

/**
 * Parses JSON text for `flattenForQuery` and `encodeBracketForm`, keeping each number's source
 * text (`12345678901234567890123` stays those digits, `1.0` stays `1.0`) where a plain parse
 * would round it to a double. Nesting deeper than MAX_NESTING_DEPTH is refused before parsing
 * (the reviver recurses). Throws SyntaxError on text that is not JSON.
 */
export function parseJsonKeepingNumberText(text: string): unknown {
  if (nestingDepth(text) > MAX_NESTING_DEPTH) {
    throw new PayloadEncodingError('too_deep', `the payload nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  return parseWithSource(text, (_key, value, context) =>
    typeof value === 'number' && context.source !== undefined ? JsonWithSource.rawJSON(context.source) : value,
  );
}

/** Deepest nesting of arrays and objects in JSON text, by one pass that skips strings. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      deepest = Math.max(deepest, ++depth);
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

/** Default longest GET URL: 8 KiB is what common servers and proxies accept (nginx, ALB, CloudFront). */
export const DEFAULT_MAX_URL_LENGTH = 8192;

/**
 * valmi's GET flattening: `{"_valmi_meta":{"_valmi_row_num":347}}` → `[["_valmi_meta__valmi_row_num","347"]]`.
 *
 * Conventions (values are returned unencoded; `buildGetUrl` percent-encodes them):
 * - names: the path of object keys, joined with `_`, exactly as valmi does (no escaping of `_`
 *   already inside keys);
 * - arrays: the element's index is a path segment like a key: `{"items":[{"id":7}]}` → `items_0_id=7`;
 * - strings as they are; numbers as JSON writes them (`1.5`, `1e+21`), or as their source text
 *   when parsed with `parseJsonKeepingNumberText`; booleans `true` / `false`;
 * - `null`, `{}` and `[]` give the name with an empty value (`a=`), so the field stays visible;
 *   the receiver cannot tell them apart from `""` — a query string has no types;
 * - properties whose value is `undefined` are skipped, as `JSON.stringify` skips them;
 * - order: depth-first in the object's own key order (for parsed JSON: document order, except that
 *   integer-like keys come first — JavaScript's property order);
 * - unicode is kept as is (no normalisation) and ends up percent-encoded as UTF-8 in the URL;
 * - collisions: when two paths render to the same name (`{"a_b":1,"a":{"b":2}}`) the whole payload
 *   is refused with `KeyCollisionError` — overwriting either value would lose data silently.
 * The top level must be an object or an array (a bare scalar has no name to carry it).
 */
export function flattenForQuery(value: unknown): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const seen = new Map<string, readonly string[]>();
  const emit = (path: readonly string[], text: string): void => {
    const key = path.join('_');
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new KeyCollisionError(key, earlier, path);
    seen.set(key, path);
    pairs.push([key, text]);
  };
  walk(value, [], emit);
  return pairs;
}

/**
 * Appends query pairs to a target URL (keeping its own query, dropping its fragment, which is never
 * sent) and refuses with `UrlTooLongError` when the result exceeds `maxUrlLength` characters.
 *
 * Names and values are percent-encoded as UTF-8 with everything but RFC 3986 unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`) escaped, so a space is `%20` and `@` is `%40`. The result is already in
 * the WHATWG URL serialisation, so an HTTP client that parses it sends exactly these characters —
 * which matters because the query string is what a GET delivery's signature covers.
 */
export function buildGetUrl(
  baseUrl: string,
  pairs: ReadonlyArray<readonly [string, string]>,
  options: { maxUrlLength?: number } = {},
): string {
  const limit = options.maxUrlLength ?? DEFAULT_MAX_URL_LENGTH;
  const url = new URL(baseUrl);
  url.hash = '';
  let href = url.href;
  if (pairs.length > 0) {
    const query = pairs.map(([name, value]) => `${strictEncode(name)}=${strictEncode(value)}`).join('&');
    const existing = url.search; // '' when there is no query or only a bare '?'
    if (existing === '') href = `${href.endsWith('?') ? href.slice(0, -1) : href}?${query}`;
    else href = `${href}${existing.endsWith('&') ? '' : '&'}${query}`;
  }
  if (href.length > limit) throw new UrlTooLongError(href.length, limit);
  return href;
}

/**
 * Kommo's form body: `{"leads":{"status":[{"id":1}]}}` → `leads%5Bstatus%5D%5B0%5D%5Bid%5D=1`, for
 * `Content-Type: application/x-www-form-urlencoded`, decodable by PHP's `parse_str` and `qs`.
 *
 * Conventions:
 * - top-level keys are bare, deeper keys are bracketed: `a[b][c]`; arrays by explicit index
 *   `a[0]`, `a[1]` (never `a[]`, so positions survive even for arrays of objects);
 * - leaf rendering as in `flattenForQuery`: strings as they are, numbers as JSON writes them,
 *   `true` / `false`, and `null`, `{}`, `[]` as an empty value (`a=`) so the field stays visible;
 *   `undefined` properties are skipped;
 * - names and values are percent-encoded as UTF-8, brackets included (`%5B`, `%5D`), space as `%20`
 *   (which every form decoder accepts, like `+`);
 * - a key that itself contains `[` or `]` cannot be told from nesting by the receiver; if two paths
 *   render to the same name the payload is refused with `KeyCollisionError`;
 * - an empty top-level object or array gives an empty body.
 * The top level must be an object or an array.
 */
export function encodeBracketForm(value: unknown): string {
  const parts: string[] = [];
  const seen = new Map<string, readonly string[]>();
  const emit = (path: readonly string[], text: string): void => {
    const [head, ...rest] = path;
    const key = `${head ?? ''}${rest.map((segment) => `[${segment}]`).join('')}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) throw new KeyCollisionError(key, earlier, path);
    seen.set(key, path);
    parts.push(`${strictEncode(key)}=${strictEncode(text)}`);
  };
  walk(value, [], emit);
  return parts.join('&');
}

/** Percent-encodes UTF-8, leaving only RFC 3986 unreserved characters (stricter than encodeURIComponent). */
export function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

type Emit = (path: readonly string[], text: string) => void;

function walk(value: unknown, path: readonly string[], emit: Emit): void {
  if (path.length === 0 && !isContainer(value)) {
    throw new PayloadEncodingError('not_a_container', `the payload must be a JSON object or array, not ${describe(value)}`);
  }
  if (path.length > MAX_NESTING_DEPTH) {
    throw new PayloadEncodingError('too_deep', `the payload nests deeper than ${MAX_NESTING_DEPTH} levels`);
  }
  if (JsonWithSource.isRawJSON(value)) {
    emit(path, value.rawJSON);
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0 && path.length > 0) emit(path, '');
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]; // holes and undefined items are written as null, as JSON does
      walk(item === undefined ? null : item, [...path, String(index)], emit);
    }
    return;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0 && path.length > 0) emit(path, '');
    for (const [key, item] of entries) walk(item, [...path, checkedString(key, path)], emit);
    return;
  }
  emit(path, leafText(value, path));
}

function leafText(value: unknown, path: readonly string[]): string {
  if (value === null) return '';
  if (typeof value === 'string') return checkedString(value, path);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PayloadEncodingError('not_json', `${showPath(path)} is ${value}, which JSON cannot carry`);
    return JSON.stringify(value);
  }
  throw new PayloadEncodingError('not_json', `${showPath(path)} is ${describe(value)}, not a JSON value`);
}

/** Lone surrogates cannot be encoded as UTF-8; refuse them instead of letting encodeURIComponent throw later. */
function checkedString(text: string, path: readonly string[]): string {
  if (!text.isWellFormed()) throw new PayloadEncodingError('not_json', `${showPath(path)} holds a lone UTF-16 surrogate`);
  return text;
}

function isContainer(value: unknown): boolean {
  return Array.isArray(value) || isPlainObject(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || JsonWithSource.isRawJSON(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (JsonWithSource.isRawJSON(value)) return 'a number';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `a ${value.constructor?.name ?? 'non-plain'} object` : `a ${typeof value}`;
}

function showPath(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : JSON.stringify(path);
}
