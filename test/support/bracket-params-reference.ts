// The bracket decoder as it was before its speed-up (shared/domain/ingest/bracket-params.ts at the
// commit that introduced this file), kept as the oracle of a differential property test: the
// faster decoder must give byte-identical JSON and the same refusals for any input.
// Decodes flat `name=value` pairs with bracket keys into nested JSON, the way PHP and qs do:
// Kommo posts `leads[status][0][id]=1`, which becomes {"leads":{"status":[{"id":"1"}]}}.
// Values stay strings: the sender's text is kept, typing it is the analyst's choice.

export class BracketDecodeError extends Error {
  override name = 'BracketDecodeError';
}

export interface BracketLimits {
  maxParameters: number;
  maxDepth: number;
  /** Largest array index honoured; larger numeric segments are kept as object keys. */
  maxArrayIndex: number;
}

export const DEFAULT_BRACKET_LIMITS: BracketLimits = { maxParameters: 1000, maxDepth: 20, maxArrayIndex: 1000 };

type Node = { [key: string]: Node | string | string[] };

/**
 * The `name=value` pairs of an application/x-www-form-urlencoded text, parsed as URLSearchParams
 * parses them (WHATWG), but one at a time: a caller that stops after N pairs has scanned only as
 * far as the N-th pair. `[...new URLSearchParams(text)]` would build every pair first, so a 6 MB
 * `a&a&a…` costs seconds and hundreds of MB before any limit can apply.
 */
export function* formPairs(text: string): Generator<[string, string], void, undefined> {
  // URLSearchParams drops one leading '?' of the whole text; so do we.
  let start = text.startsWith('?') ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) yield decodeFormPair(text.slice(start, end));
    start = end + 1;
  }
}

function decodeFormPair(segment: string): [string, string] {
  if (!segment.includes('%') && !segment.includes('+')) {
    const eq = segment.indexOf('=');
    return eq === -1 ? [segment, ''] : [segment.slice(0, eq), segment.slice(eq + 1)];
  }
  // Percent and plus decoding exactly as the platform does it; the leading '&' keeps a '?' at the
  // start of this segment literal (only the text's first '?' is dropped).
  const [pair] = new URLSearchParams(`&${segment}`);
  return pair!;
}

/** `a[b][0]` → ['a', 'b', '0']; `a[]` → ['a', '']; a malformed name is one literal segment. */
export function splitBracketName(name: string): string[] {
  const open = name.indexOf('[');
  if (open <= 0) return [name];
  const segments = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (match === null) return [name];
    segments.push(match[1]!);
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/**
 * Pairs in order → nested value. Repeated plain names collect into an array (`a=1&a=2` → ["1","2"]);
 * `[]` appends; a name used both as a value and as a container is refused rather than half-kept.
 */
export function decodeBracketParams(
  pairs: Iterable<[string, string]>,
  limits: BracketLimits = DEFAULT_BRACKET_LIMITS,
): Record<string, unknown> {
  const root: Node = Object.create(null);
  let count = 0;
  for (const [name, value] of pairs) {
    if (++count > limits.maxParameters) throw new BracketDecodeError(`more than ${limits.maxParameters} parameters`);
    const segments = splitBracketName(name);
    if (segments.length > limits.maxDepth) throw new BracketDecodeError(`'${name}' nests deeper than ${limits.maxDepth}`);
    assign(root, segments, value, name);
  }
  return toJson(root, limits) as Record<string, unknown>;
}

function assign(root: Node, segments: string[], value: string, name: string): void {
  let node = root;
  for (let i = 0; i < segments.length - 1; i++) {
    let segment = segments[i]!;
    if (segment === '') segment = String(nextIndex(node));
    const child = node[segment];
    if (child === undefined) {
      const created: Node = Object.create(null);
      node[segment] = created;
      node = created;
    } else if (typeof child === 'string' || Array.isArray(child)) {
      throw new BracketDecodeError(`'${name}' uses '${segment}' both as a value and as a container`);
    } else {
      node = child;
    }
  }
  let leaf = segments[segments.length - 1]!;
  if (leaf === '' && segments.length > 1) leaf = String(nextIndex(node));
  const existing = node[leaf];
  if (existing === undefined) node[leaf] = value;
  else if (typeof existing === 'string') node[leaf] = [existing, value];
  else if (Array.isArray(existing)) existing.push(value);
  else throw new BracketDecodeError(`'${name}' uses '${leaf}' both as a value and as a container`);
}

function nextIndex(node: Node): number {
  let next = 0;
  for (const key of Object.keys(node)) if (isIndex(key)) next = Math.max(next, Number(key) + 1);
  return next;
}

const isIndex = (key: string): boolean => /^(0|[1-9]\d{0,8})$/.test(key);

/** Objects whose keys are all small indices become arrays, in index order (gaps closed, as qs does). */
function toJson(value: Node | string | string[], limits: BracketLimits): unknown {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const asArray = keys.length > 0 && keys.every((key) => isIndex(key) && Number(key) <= limits.maxArrayIndex);
  if (asArray) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => toJson(value[String(index)]!, limits));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    // defineProperty so a key named "__proto__" stays plain data.
    Object.defineProperty(out, key, { value: toJson(value[key]!, limits), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
