// A sync's definition (valmi's "sync": a query over the lake, a primary key, a destination mode,
// a field mapping and a webhook destination) and the rules that validate it. Pure: the service
// checks the URL against the SSRF rules and tests the connection; this module checks the shape.
import { headersProblem } from '../delivery/header-policy.ts';
import { parseSchedule, type SyncSchedule } from './schedule.ts';

/** valmi's destination modes (seed 004): each run is compared with what was last delivered. */
export const SYNC_MODES = ['upsert', 'mirror', 'append', 'create', 'delete'] as const;
export type SyncMode = (typeof SYNC_MODES)[number];

/** `_valmi_sync_op` of one row-op; mirror sends `upsert` and `delete`. */
export const SYNC_OPS = ['upsert', 'append', 'create', 'delete'] as const;
export type SyncOp = (typeof SYNC_OPS)[number];

export interface FieldMapping {
  /** A column of the query's result. */
  source: string;
  /** The field name in the payload. */
  destination: string;
}

/** Limits of one definition (the sync item stays far below DynamoDB's 400 KB). */
export const SYNC_LIMITS = {
  nameLength: 100,
  sqlBytes: 64 * 1024,
  identifierLength: 255,
  mappings: 500,
} as const;

/** Top-level payload fields Hooklake writes itself; no mapped field may take their names. */
export const RESERVED_PAYLOAD_FIELDS = ['_valmi_meta', '_message_id', '_sync_mode'] as const;

export interface SyncDefinitionInput {
  name: string;
  sql: string;
  primaryKey: string;
  mode: string;
  webhookHttpMethod?: string | undefined;
  format?: string | undefined;
  /** `source:destination` pairs; absent or empty = every column under its own name. */
  mapping?: readonly FieldMapping[] | undefined;
  headers?: Record<string, string> | undefined;
  /** `{kind:'manual'}` (default), `{kind:'every', minutes}` or `{kind:'cron', expression}`. */
  schedule?: SyncSchedule | undefined;
  /** Limit the lake the query sees to one pipeline (as `hooklake query --pipeline N`): less to copy. */
  pipelineId?: number | undefined;
}

export interface SyncDefinition {
  name: string;
  sql: string;
  primaryKey: string;
  mode: SyncMode;
  webhookHttpMethod: 'POST' | 'GET';
  format: 'json' | 'form';
  /** Empty = every column under its own name. */
  mapping: FieldMapping[];
  headers: Record<string, string>;
  schedule: SyncSchedule;
  pipelineId?: number | undefined;
}

export class SyncDefinitionError extends Error {
  override name = 'SyncDefinitionError';
}

/** Checks a definition and returns it normalised; throws SyncDefinitionError with the first problem. */
export function validateSyncDefinition(input: SyncDefinitionInput): SyncDefinition {
  const fail = (message: string): never => {
    throw new SyncDefinitionError(message);
  };
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length === 0 || name.length > SYNC_LIMITS.nameLength) fail(`name is 1 to ${SYNC_LIMITS.nameLength} characters`);
  if (typeof input.sql !== 'string' || input.sql.trim().length === 0) fail('sql is required');
  if (Buffer.byteLength(input.sql, 'utf8') > SYNC_LIMITS.sqlBytes) fail(`sql is at most ${SYNC_LIMITS.sqlBytes} bytes`);
  const primaryKey = identifier(input.primaryKey, 'primaryKey', fail);
  if (!(SYNC_MODES as readonly string[]).includes(input.mode)) fail(`mode is one of ${SYNC_MODES.join(', ')}`);
  const method = input.webhookHttpMethod ?? 'POST';
  if (method !== 'POST' && method !== 'GET') fail('webhookHttpMethod is POST or GET');
  const format = input.format ?? 'json';
  if (format !== 'json' && format !== 'form') fail('format is json or form');
  if (method === 'GET' && format === 'form') fail('format form applies to POST only');
  const mapping = validateMapping(input.mapping ?? [], fail);
  const headers = input.headers ?? {};
  const headerProblem = headersProblem(headers);
  if (headerProblem !== undefined) fail(`headers: ${headerProblem}`);
  const schedule = parseSchedule(input.schedule ?? { kind: 'manual' });
  const pipelineId = input.pipelineId;
  if (pipelineId !== undefined && (!Number.isSafeInteger(pipelineId) || pipelineId < 1)) fail('pipelineId is a positive whole number');
  return {
    name,
    sql: input.sql,
    primaryKey,
    mode: input.mode as SyncMode,
    webhookHttpMethod: method as 'POST' | 'GET',
    format: method === 'GET' ? 'json' : (format as 'json' | 'form'),
    mapping,
    headers: { ...headers },
    schedule,
    ...(pipelineId === undefined ? {} : { pipelineId }),
  };
}

function identifier(value: unknown, what: string, fail: (message: string) => never): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > SYNC_LIMITS.identifierLength) {
    return fail(`${what} is a column name of 1 to ${SYNC_LIMITS.identifierLength} characters`);
  }
  if (!value.isWellFormed() || /[\u0000-\u001f]/.test(value)) return fail(`${what} holds a control character or a lone surrogate`);
  return value;
}

function validateMapping(pairs: readonly FieldMapping[], fail: (message: string) => never): FieldMapping[] {
  if (pairs.length > SYNC_LIMITS.mappings) fail(`at most ${SYNC_LIMITS.mappings} mapped fields`);
  const seen = new Set<string>();
  return pairs.map((pair) => {
    const source = identifier(pair?.source, 'a mapped source', fail);
    const destination = identifier(pair?.destination, 'a mapped destination', fail);
    // DuckDB names struct fields case-insensitively; two that differ only in case are one field.
    const folded = destination.toLowerCase();
    if (seen.has(folded)) fail(`destination '${destination}' is mapped twice`);
    seen.add(folded);
    if ((RESERVED_PAYLOAD_FIELDS as readonly string[]).includes(destination)) fail(`destination '${destination}' is a field Hooklake writes itself`);
    return { source, destination };
  });
}

/**
 * Parses the CLI's `--map first_name:my_first_name,email:email`. A bare name maps to itself.
 * Names cannot contain `,` or `:` here (the API's list of pairs can).
 */
export function parseMappingList(text: string): FieldMapping[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const [source, destination, extra] = part.split(':').map((side) => side.trim());
      if (extra !== undefined || source === undefined || source === '' || destination === '') {
        throw new SyncDefinitionError(`mapping '${part}' is not source:destination`);
      }
      return { source, destination: destination ?? source };
    });
}

/**
 * A problem with the query's result columns that fails the run: the primary key or a mapped source
 * is not among them (names match as DuckDB matches them, ignoring case), or, without a mapping, a
 * column would take a field Hooklake writes or two columns would share a name.
 */
export function resultColumnsProblem(columns: readonly string[], definition: { primaryKey: string; mapping: readonly FieldMapping[] }): string | undefined {
  const present = new Set(columns.map((column) => column.toLowerCase()));
  const missing = (name: string, role: string) =>
    present.has(name.toLowerCase()) ? undefined : `the query's result has no column "${name}" (${role}); its columns are ${columns.map((c) => `"${c}"`).join(', ') || 'none'}`;
  const keyProblem = missing(definition.primaryKey, 'the primary key');
  if (keyProblem !== undefined) return keyProblem;
  for (const pair of definition.mapping) {
    const problem = missing(pair.source, `mapped to ${pair.destination}`);
    if (problem !== undefined) return problem;
  }
  if (definition.mapping.length > 0) return undefined; // only mapped destinations reach the payload; checked at creation
  const seen = new Set<string>();
  for (const column of columns) {
    if ((RESERVED_PAYLOAD_FIELDS as readonly string[]).includes(column)) {
      return `the query returns a column named ${column}, a field Hooklake writes itself: rename it or map the columns`;
    }
    const folded = column.toLowerCase();
    if (seen.has(folded)) return `the query returns two columns named ${column}: rename one or map the columns`;
    seen.add(folded);
  }
  return undefined;
}
