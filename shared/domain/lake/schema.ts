// A pipeline's typed columns, inferred from the bodies it receives (docs/lake.md, "Typed
// tables"): what a sample of bodies says (observeSample), and how that folds into the schema
// already stored (mergeSchema), where a type only widens and a column is never dropped. Pure: the
// refresh (shared/services/schema/) reads the sample and stores the result; schema-views.ts turns
// it into the DuckDB and Athena views.
import { credentialRule, REDACTED } from '../ingest/credential-names.ts';
import { WEBHOOK_VIEW_COLUMNS } from './views.ts';

/**
 * A column's type. `json` is a value kept as JSON text: arrays, objects deeper than
 * MAX_PATH_DEPTH, and fields whose values are sometimes containers and sometimes not.
 */
export type ColumnType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'varchar' | 'json';

export const COLUMN_TYPES: readonly ColumnType[] = ['boolean', 'bigint', 'double', 'timestamp', 'varchar', 'json'];

/** Object keys joined into one column name: `{"customer":{"address":{"city":…}}}` → `customer_address_city` (3). */
export const MAX_PATH_DEPTH = 4;
/** Typed columns per pipeline; other fields stay in `__kdd_request_body` only. */
export const MAX_COLUMNS = 250;
/** Column names are cut to this length (Athena allows 255, Postgres-style tools 63). */
export const MAX_NAME_LENGTH = 63;
/** Longest object key that can become part of a column (longer ones stay in the JSON). */
export const MAX_KEY_LENGTH = 128;
/** Leaves looked at per body: a body with more fields contributes its first ones. */
export const MAX_FIELDS_PER_BODY = 2_000;
/** Distinct fields tracked per sample (a sender inventing keys cannot grow it further). */
export const MAX_FIELDS_PER_SAMPLE = 5_000;
/** An example value is cut to this many characters. */
export const MAX_EXAMPLE_LENGTH = 120;

export interface SchemaColumn {
  /** The column's name in both views (lower case, safe unquoted, unique). */
  name: string;
  /** Object keys from the body's root. */
  path: string[];
  type: ColumnType;
  /** Unix seconds of the earliest and latest sampled request that carried a value. */
  firstSeen: number;
  lastSeen: number;
  /** Sampled rows that carried a (non-null, non-empty) value. */
  rows: number;
  /** The latest sampled value as text (cut, `[redacted]` for a credential's field); null when none was kept. */
  example: string | null;
}

export interface PipelineSchema {
  pipelineId: number;
  /** Bumped whenever a column is added or widened (views are rebuilt then). */
  version: number;
  /** Rows sampled since the schema began: the denominator of each column's share. */
  rows: number;
  /** ISO time of the last refresh that read a sample; null before the first. */
  refreshedAt: string | null;
  /** Where the sampling left off (the refresh's own cursor, opaque here): the next refresh reads objects stored after it. */
  sampledThrough: string | null;
  /** Distinct fields of the last sample that got no column (the cap, or a key no JSON path can name). */
  omittedFields: number;
  columns: SchemaColumn[];
}

export function emptySchema(pipelineId: number): PipelineSchema {
  return { pipelineId, version: 0, rows: 0, refreshedAt: null, sampledThrough: null, omittedFields: 0, columns: [] };
}

/** One sampled request: its stored body text and receive time. */
export interface SampleRow {
  body: string;
  /** Unix seconds. */
  ts: number;
  /**
   * The body's values are text typed by the sender's form or query string (a form post, a GET):
   * `"42"` is then a number. A JSON sender chose its strings, which stay text (but timestamps).
   */
  textValues: boolean;
}

/** What one sample says about one field. */
export interface FieldObservation {
  path: string[];
  type: ColumnType;
  rows: number;
  firstSeen: number;
  lastSeen: number;
  example: string | null;
}

export interface SampleObservation {
  rows: number;
  /** In order of first appearance. */
  fields: FieldObservation[];
  /** Fields not tracked because the sample already had MAX_FIELDS_PER_SAMPLE. */
  untracked: number;
}

// ---- types of values ----

/** `bigint < double < varchar < json`, `boolean < varchar`, `timestamp < varchar`: the smallest type holding both. */
export function widenType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if (a === 'json' || b === 'json') return 'json';
  const numeric = (type: ColumnType) => type === 'bigint' || type === 'double';
  if (numeric(a) && numeric(b)) return 'double';
  return 'varchar';
}

const INT64_MAX = 9_223_372_036_854_775_807n;
/** Integer text without leading zeros (`007` is an identifier, not a number), as JSON writes it. */
const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** A decimal or exponent number, as JSON writes it. */
const DECIMAL_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/**
 * An ISO 8601 date-time: a date, `T` (or a space, as RFC 3339 allows and SQL writes), hours and
 * minutes, optional seconds and fraction, optional zone (`Z` or ±hh[:mm]; none reads as UTC).
 */
export const DATE_TIME_TEXT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?$/;

function integerFits(text: string): boolean {
  const digits = text.startsWith('-') ? text.slice(1) : text;
  return digits.length < 19 || (digits.length === 19 && BigInt(digits) <= INT64_MAX);
}

/** The type of a JSON number from its source text: `5` is bigint, `5.0` and `1e3` double. */
export function numberTextType(text: string): ColumnType {
  return INTEGER_TEXT.test(text) && integerFits(text) ? 'bigint' : 'double';
}

/** The type of a string value; undefined for an empty one (ignored, like null). */
export function stringType(value: string, textValues: boolean): ColumnType | undefined {
  if (value === '') return undefined;
  if (DATE_TIME_TEXT.test(value)) return 'timestamp';
  if (!textValues) return 'varchar';
  if (INTEGER_TEXT.test(value)) return integerFits(value) ? 'bigint' : 'varchar';
  if (DECIMAL_TEXT.test(value)) return 'double';
  if (value === 'true' || value === 'false') return 'boolean';
  return 'varchar';
}

// ---- reading a body ----

/** A JSON number with its source text (JSON.parse loses `5.0` vs `5`). */
class NumberText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type Parsed = null | boolean | string | NumberText | Parsed[] | { [key: string]: Parsed };

function parseBody(text: string): Parsed | undefined {
  try {
    return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' ? new NumberText(context?.source ?? String(value)) : value,
    ) as Parsed;
  } catch (error) {
    // The reviver recurses: a body nested deeper than the stack allows is read without it, its
    // numbers typed by value (a whole number is bigint) instead of by how they were written.
    return error instanceof RangeError ? plainParse(text) : undefined;
  }
}

/** A number's text when its source is not at hand: a whole number beyond 2^53 reads as a double. */
function numberSource(value: number): string {
  const text = String(value);
  return Number.isSafeInteger(value) || /[.eE]/.test(text) ? text : `${text}.0`;
}

/** JSON.parse alone (no reviver, no recursion): only the first levels are walked, so their numbers are wrapped here. */
function plainParse(text: string): Parsed | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const wrap = (item: unknown, depth: number): Parsed => {
    if (typeof item === 'number') return new NumberText(numberSource(item));
    if (depth >= MAX_PATH_DEPTH || item === null || typeof item !== 'object' || Array.isArray(item)) return item as Parsed;
    const out: { [key: string]: Parsed } = {};
    for (const [key, child] of Object.entries(item)) out[key] = wrap(child, depth + 1);
    return out;
  };
  return wrap(value, 0);
}

const isObject = (value: Parsed): value is { [key: string]: Parsed } =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof NumberText);

/** Whether a key can be part of a column: JSON paths in Athena cannot name a key holding `"`. */
export function addressableKey(key: string): boolean {
  // eslint-disable-next-line no-control-regex
  return key !== '' && key.length <= MAX_KEY_LENGTH && !/["\\\u0000-\u001f\u007f]/.test(key);
}

const pathId = (path: readonly string[]) => JSON.stringify(path);

function exampleOf(path: readonly string[], text: string): string {
  if (path.some((key) => credentialRule(key.toLowerCase()) !== 'keep')) return REDACTED;
  return text.length <= MAX_EXAMPLE_LENGTH ? text : `${text.slice(0, MAX_EXAMPLE_LENGTH - 1)}…`;
}

/**
 * The JSON text of a parsed value, numbers as written, cut after `limit` characters. Written with
 * its own stack: the value may nest deeper than a recursive writer (or JSON.stringify) survives.
 */
export function boundedJsonText(value: Parsed, limit = MAX_EXAMPLE_LENGTH): string {
  type Work = { text: string } | { value: Parsed };
  let out = '';
  const work: Work[] = [{ value }];
  const pushReversed = (parts: Work[]) => {
    for (let index = parts.length - 1; index >= 0; index--) work.push(parts[index]!);
  };
  while (work.length > 0 && out.length <= limit) {
    const next = work.pop()!;
    if ('text' in next) {
      out += next.text;
      continue;
    }
    const item = next.value;
    if (item instanceof NumberText) out += item.text;
    else if (Array.isArray(item)) {
      // Every element writes at least one character: no more than `limit` of them can show.
      const parts: Work[] = [{ text: '[' }];
      item.slice(0, limit).forEach((child, index) => parts.push(...(index === 0 ? [] : [{ text: ',' }]), { value: child }));
      parts.push({ text: ']' });
      pushReversed(parts);
    } else if (isObject(item)) {
      const parts: Work[] = [{ text: '{' }];
      Object.keys(item)
        .slice(0, limit)
        .forEach((key, index) => parts.push({ text: `${index === 0 ? '' : ','}${JSON.stringify(key)}:` }, { value: item[key]! }));
      parts.push({ text: '}' });
      pushReversed(parts);
    } else out += JSON.stringify(item);
  }
  return out.length <= limit ? out : `${out.slice(0, limit - 1)}…`;
}

/**
 * What a sample of bodies says about their fields: each field's type over the rows that carry
 * it, how many rows do, when first and last, and its latest value. Bodies that are not JSON
 * objects (a JSON array, a scalar) have no fields. Bounded whatever the bodies hold.
 */
export function observeSample(rows: readonly SampleRow[]): SampleObservation {
  const fields = new Map<string, FieldObservation & { lastTs: number }>();
  let untracked = 0;
  const untrackedIds = new Set<string>();
  // Rows in time order, so the example is the latest value.
  const ordered = [...rows].sort((a, b) => a.ts - b.ts);

  for (const row of ordered) {
    const body = parseBody(row.body);
    if (body === undefined || !isObject(body)) continue;
    const seenInRow = new Set<string>();
    let budget = MAX_FIELDS_PER_BODY;

    const note = (path: string[], type: ColumnType, example: string) => {
      const id = pathId(path);
      let field = fields.get(id);
      if (field === undefined) {
        if (fields.size >= MAX_FIELDS_PER_SAMPLE) {
          if (!untrackedIds.has(id) && untrackedIds.size < MAX_FIELDS_PER_SAMPLE) {
            untrackedIds.add(id);
            untracked++;
          }
          return;
        }
        field = { path, type, rows: 0, firstSeen: row.ts, lastSeen: row.ts, example: null, lastTs: -Infinity };
        fields.set(id, field);
      }
      field.type = field.rows === 0 ? type : widenType(field.type, type);
      if (!seenInRow.has(id)) {
        seenInRow.add(id);
        field.rows++;
      }
      field.firstSeen = Math.min(field.firstSeen, row.ts);
      field.lastSeen = Math.max(field.lastSeen, row.ts);
      if (row.ts >= field.lastTs) {
        field.lastTs = row.ts;
        field.example = exampleOf(path, example);
      }
    };

    // Iterative walk: a body nested 100,000 deep costs its first MAX_PATH_DEPTH levels only.
    const stack: { value: { [key: string]: Parsed }; path: string[] }[] = [{ value: body, path: [] }];
    while (stack.length > 0 && budget > 0) {
      const { value, path } = stack.pop()!;
      for (const key of Object.keys(value)) {
        if (budget-- <= 0) break;
        const item = value[key]!;
        const itemPath = [...path, key];
        if (item === null) continue;
        if (isObject(item)) {
          if (itemPath.length < MAX_PATH_DEPTH) {
            stack.push({ value: item, path: itemPath });
          } else if (Object.keys(item).length > 0) {
            note(itemPath, 'json', boundedJsonText(item));
          }
        } else if (Array.isArray(item)) {
          if (item.length > 0) note(itemPath, 'json', boundedJsonText(item));
        } else if (item instanceof NumberText) {
          note(itemPath, numberTextType(item.text), item.text);
        } else if (typeof item === 'boolean') {
          note(itemPath, 'boolean', String(item));
        } else {
          const type = stringType(item, row.textValues);
          if (type !== undefined) note(itemPath, type, item);
        }
      }
    }
  }
  return {
    rows: rows.length,
    fields: [...fields.values()].map(({ lastTs: _lastTs, ...field }) => field),
    untracked,
  };
}

// ---- names ----

/**
 * Words neither DuckDB nor Trino (Athena) accepts as a bare column name: a field named like one
 * gets a trailing `_` (`order` → `order_`), so every column can be written without quotes.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  // DuckDB's reserved keywords (duckdb_keywords(), 1.5)
  'all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check', 'collate',
  'column', 'constraint', 'create', 'default', 'deferrable', 'desc', 'describe', 'distinct', 'do', 'else', 'end', 'except',
  'false', 'fetch', 'for', 'foreign', 'from', 'group', 'having', 'in', 'initially', 'intersect', 'into', 'lambda', 'lateral',
  'leading', 'limit', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'pivot', 'pivot_longer', 'pivot_wider', 'placing',
  'primary', 'qualify', 'references', 'returning', 'select', 'show', 'some', 'summarize', 'symmetric', 'table', 'then', 'to',
  'trailing', 'true', 'union', 'unique', 'unpivot', 'using', 'variadic', 'when', 'where', 'window', 'with',
  // DuckDB's type_function keywords that its grammar cannot read as a bare column (`select x, at from t`)
  'anti', 'asof', 'at', 'authorization', 'binary', 'collation', 'concurrently', 'freeze', 'glob', 'ilike', 'isnull',
  'notnull', 'overlaps', 'positional', 'semi', 'similar', 'tablesample', 'unpack', 'verbose',
  // Trino's reserved words (Athena engine 3)
  'alter', 'between', 'by', 'cross', 'cube', 'current_catalog', 'current_date', 'current_path', 'current_role',
  'current_schema', 'current_time', 'current_timestamp', 'current_user', 'deallocate', 'delete', 'drop', 'escape',
  'execute', 'exists', 'extract', 'full', 'grouping', 'inner', 'insert', 'is', 'join', 'json_array', 'json_exists',
  'json_object', 'json_query', 'json_table', 'json_value', 'left', 'like', 'listagg', 'localtime', 'localtimestamp',
  'natural', 'normalize', 'outer', 'prepare', 'recursive', 'right', 'rollup', 'skip', 'trim', 'uescape', 'unnest',
  'values',
]);

/** The views' own columns (pipeline_id, dt, `__kdd_*`, `__hl_*`): no field takes their names. */
export const FIXED_COLUMN_NAMES: ReadonlySet<string> = new Set(WEBHOOK_VIEW_COLUMNS.map(([name]) => name));

function wordsOf(key: string): string {
  return key
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** `customer.Email Address` → `customer_email_address`: lower case, `_` between words, ASCII. */
export function baseColumnName(path: readonly string[]): string {
  let name = path
    .map(wordsOf)
    .filter((words) => words !== '')
    .join('_');
  if (name === '') name = 'field';
  if (/^[0-9]/.test(name)) name = `f_${name}`;
  name = name.slice(0, MAX_NAME_LENGTH).replace(/_+$/, '');
  if (RESERVED_WORDS.has(name)) name = `${name.slice(0, MAX_NAME_LENGTH - 1)}_`;
  return name;
}

/** A name for a new column: its base name, or the first `<base>_2`, `<base>_3`, … not taken. */
export function uniqueColumnName(path: readonly string[], taken: ReadonlySet<string>): string {
  const base = baseColumnName(path);
  if (!taken.has(base) && !FIXED_COLUMN_NAMES.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const name = `${base.slice(0, MAX_NAME_LENGTH - suffix.length).replace(/_+$/, '')}${suffix}`;
    if (!taken.has(name) && !FIXED_COLUMN_NAMES.has(name)) return name;
  }
}

// ---- merging ----

export interface MergeInput {
  /** Time of this refresh (ISO). */
  now: string;
  /** Where the sampling left off; the stored cursor is kept when undefined. */
  sampledThrough?: string | undefined;
}

/**
 * The stored schema with a new sample folded in. Columns keep their names and order; a type only
 * widens; counts add up; a column absent from the sample stays (the lake still holds the rows
 * that carried it). New fields get columns while there is room (MAX_COLUMNS), the most frequent
 * first, then the shallowest, then in order of appearance; the others stay in the JSON column.
 */
export function mergeSchema(stored: PipelineSchema, sample: SampleObservation, input: MergeInput): PipelineSchema {
  const byPath = new Map(stored.columns.map((column, index) => [pathId(column.path), index]));
  const columns = stored.columns.map((column) => ({ ...column }));
  let changed = false;
  const fresh: (FieldObservation & { order: number })[] = [];

  sample.fields.forEach((field, order) => {
    const index = byPath.get(pathId(field.path));
    if (index === undefined) {
      fresh.push({ ...field, order });
      return;
    }
    const column = columns[index]!;
    const type = widenType(column.type, field.type);
    if (type !== column.type) changed = true;
    column.type = type;
    column.rows += field.rows;
    column.firstSeen = Math.min(column.firstSeen, field.firstSeen);
    if (field.lastSeen >= column.lastSeen) column.example = field.example;
    column.lastSeen = Math.max(column.lastSeen, field.lastSeen);
  });

  const candidates = fresh
    .filter((field) => field.path.every(addressableKey))
    .sort((a, b) => b.rows - a.rows || a.path.length - b.path.length || a.order - b.order);
  const taken = new Set(columns.map((column) => column.name));
  let admitted = 0;
  for (const field of candidates) {
    if (columns.length >= MAX_COLUMNS) break;
    const name = uniqueColumnName(field.path, taken);
    taken.add(name);
    columns.push({
      name,
      path: field.path,
      type: field.type,
      firstSeen: field.firstSeen,
      lastSeen: field.lastSeen,
      rows: field.rows,
      example: field.example,
    });
    admitted++;
    changed = true;
  }

  return {
    pipelineId: stored.pipelineId,
    version: changed ? stored.version + 1 : stored.version,
    rows: stored.rows + sample.rows,
    refreshedAt: input.now,
    sampledThrough: input.sampledThrough ?? stored.sampledThrough,
    omittedFields: fresh.length - admitted + sample.untracked,
    columns,
  };
}

/** The share of sampled rows that carried the column's field, 0 to 1. */
export function columnShare(schema: PipelineSchema, column: SchemaColumn): number {
  return schema.rows === 0 ? 0 : Math.min(1, column.rows / schema.rows);
}

/** Whether a request's stored body holds text typed by its sender's encoding: a GET's query, a form post. */
export function bodyValuesAreText(method: string | null, headersJson: string | null): boolean {
  if (method === 'GET') return true;
  if (headersJson === null) return false;
  try {
    const headers = JSON.parse(headersJson) as Record<string, unknown>;
    const contentType = headers['content-type'];
    return typeof contentType === 'string' && contentType.split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
  } catch {
    return false;
  }
}

/** The message the schedule sends to refresh every pipeline's schema (the api function's second entry). */
export const SCHEMA_REFRESH_EVENT = { hooklake: 'schema_refresh' } as const;

export function isSchemaRefreshEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { hooklake?: unknown }).hooklake === SCHEMA_REFRESH_EVENT.hooklake;
}
