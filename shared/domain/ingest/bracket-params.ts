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

/**
 * A container being filled: its children in the order their names arrived (a Map, so any name is
 * plain data), and what decides its JSON as it fills, so writing it out needs no second look at
 * its keys: the next `[]` index, and whether every key is an index small enough for an array.
 */
class Node {
  readonly children = new Map<string, Node | string | string[]>();
  nextIndex = 0;
  allSmallIndices = true;

  private readonly maxArrayIndex: number;

  constructor(maxArrayIndex: number) {
    this.maxArrayIndex = maxArrayIndex;
  }

  set(key: string, child: Node | string | string[]): void {
    if (!this.children.has(key)) {
      const index = isIndex(key) ? Number(key) : -1;
      if (index >= this.nextIndex) this.nextIndex = index + 1;
      if (index === -1 || index > this.maxArrayIndex) this.allSmallIndices = false;
    }
    this.children.set(key, child);
  }
}

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

/**
 * formPairs all at once, without a generator's per-pair cost: for text the transport already
 * bounds (a URL's query string: API Gateway takes 10,240 bytes of request line and headers).
 */
export function formPairList(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let start = text.startsWith('?') ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) pairs.push(decodeFormPair(text.slice(start, end)));
    start = end + 1;
  }
  return pairs;
}

function decodeFormPair(segment: string): [string, string] {
  if (!segment.includes('%') && !segment.includes('+')) {
    const eq = segment.indexOf('=');
    return eq === -1 ? [segment, ''] : [segment.slice(0, eq), segment.slice(eq + 1)];
  }
  // Well-formed percent-encoded UTF-8 decodes the same with decodeURIComponent, name and value
  // split at the first raw '=' as the platform does, and several times faster.
  const eq = segment.indexOf('=');
  try {
    return eq === -1 ? [decodeComponent(segment), ''] : [decodeComponent(segment.slice(0, eq)), decodeComponent(segment.slice(eq + 1))];
  } catch {
    // Anything else (a stray '%', bytes that are not UTF-8) exactly as the platform decodes it;
    // the leading '&' keeps a '?' at the start of this segment literal (only the text's first '?' is dropped).
    const [pair] = new URLSearchParams(`&${segment}`);
    return pair!;
  }
}

const PLUS = /\+/g;
const decodeComponent = (text: string): string => decodeURIComponent(text.includes('+') ? text.replace(PLUS, ' ') : text);

/** `a[b][0]` → ['a', 'b', '0']; `a[]` → ['a', '']; a malformed name is one literal segment. */
export function splitBracketName(name: string): string[] {
  return [...segmentsOf(name)];
}

// A sender posts the same names with every webhook, so each name's segments are remembered; the
// memory is bounded (a sender can invent names), and so are the names worth remembering.
export const SPLIT_CACHE_LIMIT = 1000;
const SPLIT_CACHE_MAX_NAME = 256;
const splitCache = new Map<string, readonly string[]>();

/** How many names' segments are remembered: bounded, however many names senders invent (tests check it). */
export const rememberedBracketNames = (): number => splitCache.size;

function segmentsOf(name: string): readonly string[] {
  let segments = splitCache.get(name);
  if (segments === undefined) {
    segments = Object.freeze(split(name));
    if (splitCache.size < SPLIT_CACHE_LIMIT && name.length <= SPLIT_CACHE_MAX_NAME) splitCache.set(name, segments);
  }
  return segments;
}

function split(name: string): string[] {
  const open = name.indexOf('[');
  if (open <= 0) return [name];
  const segments = [name.slice(0, open)];
  // Each segment is `[` + anything but brackets + `]`, back to back to the end of the name.
  let at = open;
  while (at < name.length) {
    if (name.charCodeAt(at) !== 0x5b) return [name];
    const close = name.indexOf(']', at + 1);
    if (close === -1) return [name];
    const nested = name.indexOf('[', at + 1);
    if (nested !== -1 && nested < close) return [name];
    segments.push(name.slice(at + 1, close));
    at = close + 1;
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
  return JSON.parse(decodeBracketParamsJson(pairs, limits)) as Record<string, unknown>;
}

/**
 * decodeBracketParams as JSON text, written straight from the decoded tree (no objects built to
 * be stringified): `{}` when there are no pairs. Keys come in the order JSON.stringify would give
 * an object (array-index keys ascending, then the others as they came), `__proto__` included as data.
 */
export function decodeBracketParamsJson(pairs: Iterable<[string, string]>, limits: BracketLimits = DEFAULT_BRACKET_LIMITS): string {
  const root = new Node(limits.maxArrayIndex);
  let count = 0;
  for (const [name, value] of pairs) {
    if (++count > limits.maxParameters) throw new BracketDecodeError(`more than ${limits.maxParameters} parameters`);
    add(root, name, value, limits);
  }
  return JSON.stringify(plainValue(root));
}

/**
 * decodeBracketParamsJson of a form's text (formPairs' pairs), read without an iterator: the
 * text is scanned pair by pair and the scan stops past maxParameters, so a flood of `a&a&a…`
 * costs no more than its first thousand pairs.
 */
export function decodeFormJson(text: string, limits: BracketLimits = DEFAULT_BRACKET_LIMITS): string {
  const root = new Node(limits.maxArrayIndex);
  let count = 0;
  let start = text.startsWith('?') ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) {
      if (++count > limits.maxParameters) throw new BracketDecodeError(`more than ${limits.maxParameters} parameters`);
      const [name, value] = decodeFormPair(text.slice(start, end));
      add(root, name, value, limits);
    }
    start = end + 1;
  }
  return JSON.stringify(plainValue(root));
}

function add(root: Node, name: string, value: string, limits: BracketLimits): void {
  const segments = segmentsOf(name);
  if (segments.length > limits.maxDepth) throw new BracketDecodeError(`'${name}' nests deeper than ${limits.maxDepth}`);
  assign(root, segments, value, name, limits.maxArrayIndex);
}

function assign(root: Node, segments: readonly string[], value: string, name: string, maxArrayIndex: number): void {
  let node = root;
  for (let i = 0; i < segments.length - 1; i++) {
    let segment = segments[i]!;
    if (segment === '') segment = String(node.nextIndex);
    const child = node.children.get(segment);
    if (child === undefined) {
      const created = new Node(maxArrayIndex);
      node.set(segment, created);
      node = created;
    } else if (!(child instanceof Node)) {
      throw new BracketDecodeError(`'${name}' uses '${segment}' both as a value and as a container`);
    } else {
      node = child;
    }
  }
  let leaf = segments[segments.length - 1]!;
  if (leaf === '' && segments.length > 1) leaf = String(node.nextIndex);
  const existing = node.children.get(leaf);
  if (existing === undefined) node.set(leaf, value);
  else if (typeof existing === 'string') node.set(leaf, [existing, value]);
  else if (Array.isArray(existing)) existing.push(value);
  else throw new BracketDecodeError(`'${name}' uses '${leaf}' both as a value and as a container`);
}

/** A canonical decimal index under 10^9 (`0`, `7`, `42`; never `01` or `-1`). */
function isIndex(key: string): boolean {
  const length = key.length;
  if (length === 0 || length > 9) return false;
  const first = key.charCodeAt(0);
  if (first === 0x30) return length === 1;
  if (first < 0x31 || first > 0x39) return false;
  for (let i = 1; i < length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * The decoded tree as plain values for one native JSON.stringify, which writes (and escapes) the
 * text faster than it can be put together by hand. A node whose keys are all small indices is an
 * array in index order (gaps closed, as qs does); any other is an object, whose keys a JS object
 * orders as JSON.stringify of an object would (array-index keys ascending, then the others as
 * they came). `__proto__` is defined as a key like any other, never assigned as the prototype.
 */
function plainValue(value: Node | string | string[]): unknown {
  if (!(value instanceof Node)) return value;
  const { children } = value;
  if (value.allSmallIndices && children.size > 0) {
    const indices = Array.from(children.keys(), Number).sort((a, b) => a - b);
    return indices.map((index) => plainValue(children.get(String(index))!));
  }
  const object: Record<string, unknown> = {};
  for (const [key, child] of children) {
    if (key === '__proto__') Object.defineProperty(object, key, { value: plainValue(child), enumerable: true, writable: true, configurable: true });
    else object[key] = plainValue(child);
  }
  return object;
}
