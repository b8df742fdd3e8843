// What the receiver keeps of a request besides its body (docs/design.md, "Captured request"): its
// headers and the query's data parameters with credentials redacted (credential-names.ts, the one
// rule set for both), each bounded so a sender cannot inflate the queue message. The receiver
// applies it before anything is queued, so a credential never reaches the queue, the lake, the
// quarantine or a log; signature headers are kept for the processor's verifier, which stores
// them redacted unless it needs them (storedHeaders).
import { credentialRule, isSignatureName, REDACTED, SIGNATURE_HEADERS } from './credential-names.ts';

/**
 * Headers carrying a provider's delivery id (signatures/delivery-id.ts reads them in this order):
 * kept first, with the signature headers, when headers must be dropped to fit the bounds.
 */
export const DELIVERY_ID_HEADERS: ReadonlySet<string> = new Set(['x-github-delivery', 'x-shopify-webhook-id', 'webhook-id']);

/**
 * Kept first when headers must be dropped to fit the bounds, so verification and delivery ids
 * survive a sender's padding: the providers' signature and id headers, and any signature's name
 * (credential-names.ts: what generic `hmac` senders name theirs, X-Signature, X-Hmac-Sha256, …).
 */
export function isKeptFirst(lowerName: string): boolean {
  return SIGNATURE_HEADERS.has(lowerName) || DELIVERY_ID_HEADERS.has(lowerName) || isSignatureName(lowerName);
}

/** At most this many headers (and, separately, query parameters) are kept. */
export const MAX_CAPTURED_ENTRIES = 100;
/** The kept headers (and, separately, query parameters) are at most this long as JSON text (UTF-8). */
export const MAX_CAPTURED_JSON_BYTES = 16 * 1024;
/**
 * Added when entries had to be dropped, with how many as its value. It is not an HTTP token (the
 * brackets), so no kept header can have this name.
 */
export const TRUNCATED_KEY = '[truncated]';

/** Header name → value; lower-case names; repeated headers joined with commas, as API Gateway does. */
export type CapturedHeaders = Record<string, string>;
/** Query parameter name → value, or values in order when the name is repeated. */
export type CapturedQuery = Record<string, string | string[]>;

/** A signature header is kept by the receiver: the processor's verifier may need it. */
type HeaderRule = 'keep' | 'redact' | 'drop';

/**
 * Not kept, in headers or query: assigning it would change an object's prototype, and the kept
 * objects are plain ones (the fast kind for V8's JSON.stringify, which runs on every request).
 */
const PROTO = '__proto__';
const COOKIE = 'cookie';

/** RFC 9110 token characters, lower case: a name that is not one cannot be a real header. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

// The same few dozen names arrive on every request, so each name's rule is remembered; the memory
// is bounded, since a sender can invent names.
export const RULE_CACHE_LIMIT = 1000;
const ruleCache = new Map<string, HeaderRule>();

function ruleOf(lowerName: string): HeaderRule {
  let rule = ruleCache.get(lowerName);
  if (rule === undefined) {
    rule = !HEADER_NAME.test(lowerName) || lowerName === PROTO ? 'drop' : credentialRule(lowerName) === 'redact' ? 'redact' : 'keep';
    if (ruleCache.size < RULE_CACHE_LIMIT) ruleCache.set(lowerName, rule);
  }
  return rule;
}

/** How many header names' rules are remembered: bounded, however many names senders invent (tests check it). */
export const rememberedHeaderRules = (): number => ruleCache.size;

/**
 * The headers as they are kept: names lower-cased, credentials redacted, bounded to
 * MAX_CAPTURED_ENTRIES and MAX_CAPTURED_JSON_BYTES. When they do not all fit, the headers of
 * isKeptFirst are kept first, then the others in order while they fit, and TRUNCATED_KEY says how many were
 * dropped. `cookies` are API Gateway's payload-2.0 cookies (taken out of the headers there): their
 * presence is kept as a redacted `cookie` header.
 */
export function captureHeaders(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  cookies?: readonly string[] | undefined,
): CapturedHeaders {
  const hasCookies = cookies !== undefined && cookies.length > 0;
  if (headers !== undefined) {
    // What API Gateway hands over (names already lower-case, within the bounds) is kept as it is,
    // or as a shallow copy with its credentials redacted: one look at each name.
    let general = false;
    let redact: string[] | undefined;
    let count = hasCookies ? 1 : 0;
    let units = hasCookies ? COOKIE.length + REDACTED.length : 0;
    for (const name in headers) {
      const value = headers[name];
      // An upper-case name has rule 'drop' (not a lower-case token): the general path lower-cases it.
      const rule = typeof value === 'string' ? ruleOf(name) : 'drop';
      if (rule === 'drop') {
        general = true;
        break;
      }
      if (rule === 'redact') (redact ??= []).push(name);
      count++;
      units += name.length + value!.length + 1;
    }
    if (!general && fitsUnmeasured(count, units)) {
      if (redact === undefined && !hasCookies) return headers as CapturedHeaders;
      const copy = { ...headers } as CapturedHeaders;
      for (const name of redact ?? []) copy[name] = REDACTED;
      if (hasCookies) copy[COOKIE] = REDACTED;
      return copy;
    }
  }
  const all: CapturedHeaders = {};
  let count = 0;
  let units = 0;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const lower = name.toLowerCase();
    const rule = ruleOf(lower);
    if (rule === 'drop') continue;
    const kept = rule === 'redact' ? REDACTED : value;
    // Names that differ only in case are one header (API Gateway has joined its own already).
    const earlier = Object.hasOwn(all, lower) ? all[lower] : undefined;
    if (earlier === undefined) count++;
    all[lower] = earlier === undefined || rule === 'redact' ? kept : `${earlier},${kept}`;
    units += lower.length + kept.length + 1;
  }
  if (hasCookies && !Object.hasOwn(all, COOKIE)) {
    all[COOKIE] = REDACTED;
    count++;
    units += COOKIE.length + REDACTED.length + 1;
  }
  return bounded(all, count, units, isKeptFirst);
}

/** Whether a query parameter's value is redacted: a credential's or a signature's (no verifier reads the query). */
const isSecretParameter = (name: string): boolean => credentialRule(name.toLowerCase()) !== 'keep';

/**
 * The query's pairs with the values of credential and signature parameters replaced by REDACTED
 * (the same array when there are none): what a GET stores as its body and its captured query.
 */
export function redactedQueryPairs<P extends readonly [string, string]>(pairs: readonly P[]): readonly (P | [string, string])[] {
  if (!pairs.some(([name]) => isSecretParameter(name))) return pairs;
  return pairs.map((pair) => (isSecretParameter(pair[0]) ? [pair[0], REDACTED] : pair));
}

/**
 * The query's data parameters (names and values decoded, in order; repeated names become a list),
 * credentials and signatures redacted, bounded like the headers. The inbound protocol's own
 * parameters (pipeline_id, key, token) are not data parameters: the caller leaves them out.
 */
export function captureQuery(pairs: readonly (readonly [string, string])[]): CapturedQuery {
  const all: CapturedQuery = {};
  let count = 0;
  let units = 0;
  for (const [name, sent] of pairs) {
    if (name === PROTO) continue;
    const value = isSecretParameter(name) ? REDACTED : sent;
    const earlier = Object.hasOwn(all, name) ? all[name] : undefined;
    if (earlier === undefined) {
      all[name] = value;
      count++;
    } else {
      all[name] = typeof earlier === 'string' ? [earlier, value] : [...earlier, value];
    }
    // `","` between list items, counted for every value.
    units += name.length + value.length + 3;
  }
  return bounded(all, count, units, () => false);
}

/**
 * The captured headers as they are stored (lake, quarantine): signature headers redacted, except
 * those in `needed` (lower-case), the ones the pipeline's verifier reads. The same object when
 * there is nothing to redact.
 */
export function storedHeaders(headers: CapturedHeaders | undefined, needed: ReadonlySet<string>): CapturedHeaders | undefined {
  if (headers === undefined) return undefined;
  let stored: CapturedHeaders | undefined;
  for (const name in headers) {
    if (needed.has(name) || headers[name] === REDACTED || !isSignatureName(name)) continue;
    stored ??= { ...headers };
    stored[name] = REDACTED;
  }
  return stored ?? headers;
}

/**
 * Whether `count` entries whose names and values are `units` UTF-16 units long in all certainly fit
 * the bounds: a JSON character takes at most 6 bytes (`\u001f`), so when that bound fits, nothing
 * needs measuring.
 */
function fitsUnmeasured(count: number, units: number): boolean {
  return count <= MAX_CAPTURED_ENTRIES && 2 + units * 6 + count * 6 <= MAX_CAPTURED_JSON_BYTES;
}

/** JSON text of one `"name":value,` entry, in UTF-8 bytes. */
function entryBytes(name: string, value: string | string[]): number {
  return Buffer.byteLength(JSON.stringify(name)) + Buffer.byteLength(JSON.stringify(value)) + 2;
}

/** `all` as it is kept; `units` is the UTF-16 length of every name and value (see fitsUnmeasured). */
function bounded<V extends string | string[]>(
  all: Record<string, V>,
  count: number,
  units: number,
  keepFirst: (name: string) => boolean,
): Record<string, V | string> {
  if (fitsUnmeasured(count, units)) return all;
  const kept: Record<string, V | string> = {};
  // Room for `,"[truncated]":"<count>"` is kept back.
  const budget = MAX_CAPTURED_JSON_BYTES - 2 - (TRUNCATED_KEY.length + 12);
  const names = Object.keys(all);
  let used = 0;
  let keptCount = 0;
  let dropped = 0;
  for (const name of [...names.filter(keepFirst), ...names.filter((name) => !keepFirst(name))]) {
    const value = all[name]!;
    const bytes = entryBytes(name, value);
    if (keptCount >= MAX_CAPTURED_ENTRIES || used + bytes > budget) {
      dropped++;
      continue;
    }
    kept[name] = value;
    used += bytes;
    keptCount++;
  }
  if (dropped > 0) kept[TRUNCATED_KEY] = String(dropped);
  return kept;
}
