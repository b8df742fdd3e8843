// One schema description (schema.ts), two views of it: DuckDB's `pipeline_<N>` (hooklake query)
// and Athena's (a Presto view stored in the Glue database). Every value is read from the body's
// JSON by the column's path and converted to its type so that a value that does not fit reads as
// NULL, never an error: text that is not a number, a timestamp that does not parse, an object
// where a scalar was seen before. Text only: whoever runs DuckDB or calls Glue uses it.
import { WEBHOOK_COLUMNS } from './columns.ts';
import type { ColumnType, PipelineSchema, SchemaColumn } from './schema.ts';
import { requestCopyRankSql, WEBHOOK_VIEW_COLUMNS } from './views.ts';

/**
 * The generation of the views' SQL: raised whenever the SQL built for the same schema changes (a
 * new deduplication rule, a fix), so that views already published are rebuilt by the next refresh.
 */
export const VIEW_SQL_GENERATION = 2;

export const pipelineViewName = (pipelineId: number): string => `pipeline_${pipelineId}`;

/** `pipeline_<N>` → N; undefined for any other name. */
export function pipelineIdOfView(name: string): number | undefined {
  const match = /^pipeline_([1-9][0-9]{0,14})$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** At most this many typed views are looked up for one query text (each is a read of its schema). */
export const MAX_VIEWS_PER_QUERY = 32;

/**
 * The pipelines whose typed view `sql` names (`pipeline_<N>`, any case), in order of first mention,
 * at most MAX_VIEWS_PER_QUERY: only these views need their schema read. A name in a string or a
 * comment is looked up too; a view the text cannot name (a computed table name) does not exist.
 */
export function pipelineViewsNamedIn(sql: string): number[] {
  const ids = new Set<number>();
  for (const match of sql.matchAll(/(?<![\w$])pipeline_([1-9][0-9]{0,14})(?![\w$])/gi)) {
    ids.add(Number(match[1]));
    if (ids.size === MAX_VIEWS_PER_QUERY) break;
  }
  return [...ids];
}

const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

// ---- DuckDB ----

export const DUCKDB_COLUMN_TYPES: Record<ColumnType, string> = {
  boolean: 'BOOLEAN',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  varchar: 'VARCHAR',
  json: 'VARCHAR',
};

/** RFC 6901 JSON Pointer of a path: any key can be named (`~` → `~0`, `/` → `~1`). */
export function jsonPointer(path: readonly string[]): string {
  return path.map((key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** Text with an explicit zone (Z, ±hh[:mm]) after its time: parsed as TIMESTAMPTZ, which applies it. */
const ZONED_TIME = "'[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]+)?)?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$'";

/** DuckDB: the value of a column from its text `v` (json_extract_string), NULL when it does not fit. */
function duckdbValue(type: ColumnType, v: string): string {
  switch (type) {
    case 'varchar':
      return v;
    case 'bigint':
      // try_cast alone would round '5.5' to 6 and read '5.0' as 5; Trino's try_cast reads both as NULL.
      return `CASE WHEN regexp_full_match(${v}, '-?[0-9]+') THEN try_cast(${v} AS BIGINT) END`;
    case 'double':
      return `try_cast(${v} AS DOUBLE)`;
    case 'boolean':
      return `CASE lower(${v}) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    case 'timestamp':
      // UTC: an explicit zone is applied (a cast to TIMESTAMP would drop it), none means UTC
      // whatever the session's TimeZone.
      return `CASE WHEN regexp_matches(${v}, ${ZONED_TIME}) THEN timezone('UTC', try_cast(${v} AS TIMESTAMPTZ)) ELSE try_cast(${v} AS TIMESTAMP) END`;
    case 'json':
      throw new Error('json columns are read as JSON, not text');
  }
}

/**
 * `create view pipeline_<N>` over DuckDB's `webhooks` view (so it keeps its deduplication): the
 * view's own columns, then one per schema column. The body is parsed once per row: every scalar
 * column's text comes from one json_extract_string over all their paths, every JSON column's
 * from one json_extract.
 */
export function duckdbPipelineViewSql(schema: PipelineSchema, source = 'webhooks'): string {
  const scalars = schema.columns.filter((column) => column.type !== 'json');
  const containers = schema.columns.filter((column) => column.type === 'json');
  const pathList = (columns: SchemaColumn[]) => `[${columns.map((column) => sqlString(jsonPointer(column.path))).join(', ')}]`;
  const extracted = [
    ...(scalars.length === 0 ? [] : [`json_extract_string(__kdd_request_body, ${pathList(scalars)}) AS __hl_texts`]),
    ...(containers.length === 0 ? [] : [`json_extract(__kdd_request_body, ${pathList(containers)}) AS __hl_jsons`]),
  ];
  const typed = schema.columns.map((column) => {
    const expression =
      column.type === 'json'
        ? `CAST(__hl_jsons[${containers.indexOf(column) + 1}] AS VARCHAR)`
        : duckdbValue(column.type, `__hl_texts[${scalars.indexOf(column) + 1}]`);
    return `${expression} AS ${quoted(column.name)}`;
  });
  const fixed = WEBHOOK_VIEW_COLUMNS.map(([name]) => name);
  return (
    `create or replace view ${pipelineViewName(schema.pipelineId)} as select ${[...fixed, ...typed].join(', ')} ` +
    `from (select *${extracted.map((item) => `, ${item}`).join('')} from ${source} where pipeline_id = ${schema.pipelineId})`
  );
}

// ---- Athena (Trino) ----

/** Trino's spelling of each type (the Presto view definition's column types). */
export const TRINO_COLUMN_TYPES: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp(3)',
  varchar: 'varchar',
  json: 'varchar',
};

/** Hive's spelling (the Glue table's storage columns). */
export const HIVE_COLUMN_TYPES: Record<ColumnType, string> = {
  boolean: 'boolean',
  bigint: 'bigint',
  double: 'double',
  timestamp: 'timestamp',
  varchar: 'string',
  json: 'string',
};

/** The Glue table's columns in Athena: partition keys are strings there (injected projection). */
const ATHENA_FIXED_COLUMNS: readonly { name: string; trino: string; hive: string }[] = [
  { name: 'pipeline_id', trino: 'varchar', hive: 'string' },
  { name: 'dt', trino: 'varchar', hive: 'string' },
  ...WEBHOOK_COLUMNS.map((column) => ({
    name: column.name,
    trino: column.type === 'double' ? 'double' : 'varchar',
    hive: column.type,
  })),
];

/** Trino's legacy JSON path (json_extract_scalar): `$["a"]["b"]`; keys holding `"` are never columns (schema.ts addressableKey). */
export function trinoJsonPath(path: readonly string[]): string {
  return `$${path.map((key) => `["${key}"]`).join('')}`;
}

function trinoValue(column: SchemaColumn): string {
  const path = sqlString(trinoJsonPath(column.path));
  const text = `json_extract_scalar(__kdd_request_body, ${path})`;
  switch (column.type) {
    case 'varchar':
      return text;
    case 'bigint':
      return `try_cast(${text} AS bigint)`;
    case 'double':
      return `try_cast(${text} AS double)`;
    case 'boolean':
      return `CASE lower(${text}) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    case 'timestamp':
      // from_iso8601_timestamp wants the `T`; a zone-less time is in the session's zone (UTC in Athena).
      return `CAST(try(from_iso8601_timestamp(replace(${text}, ' ', 'T'))) AT TIME ZONE 'UTC' AS timestamp(3))`;
    case 'json':
      return `json_format(json_extract(__kdd_request_body, ${path}))`;
  }
}

/**
 * Athena's view of a pipeline, over the Glue table `webhooks` of `database`: the same columns,
 * names and types as DuckDB's, and the same deduplication as DuckDB's `webhooks` (one rule,
 * views.ts requestCopyRankSql), so a filter on `dt` through the view still prunes days. The
 * pipeline_id filter is an equality, as injected partition projection needs.
 */
export function athenaPipelineViewSql(schema: PipelineSchema, database: string): string {
  const fixed = ATHENA_FIXED_COLUMNS.map((column) => column.name);
  const typed = schema.columns.map((column) => `${trinoValue(column)} AS ${quoted(column.name)}`);
  return (
    `SELECT ${[...fixed, ...typed].join(', ')} FROM (` +
    `SELECT *, ${requestCopyRankSql()} AS hl_copy ` +
    `FROM ${quoted(database)}."webhooks" WHERE pipeline_id = ${sqlString(String(schema.pipelineId))}) WHERE hl_copy = 1`
  );
}

/** The columns Athena reports for the view, in order. */
export function athenaViewColumns(schema: PipelineSchema): { name: string; trino: string; hive: string }[] {
  return [
    ...ATHENA_FIXED_COLUMNS,
    ...schema.columns.map((column) => ({ name: column.name, trino: TRINO_COLUMN_TYPES[column.type], hive: HIVE_COLUMN_TYPES[column.type] })),
  ];
}

/** The Glue Data Catalog's catalog name as Athena knows it. */
export const ATHENA_CATALOG = 'awsdatacatalog';

/**
 * The Glue TableInput of the view (CreateTable / UpdateTable), as Athena stores a `CREATE VIEW`:
 * table type VIRTUAL_VIEW, `ViewOriginalText` = `/* Presto View: <base64 of the JSON definition> *\/`,
 * `ViewExpandedText` = `/* Presto View *\/`, and the columns (Hive types) in the storage descriptor.
 */
export function glueViewTableInput(schema: PipelineSchema, database: string) {
  const columns = athenaViewColumns(schema);
  const definition = {
    originalSql: athenaPipelineViewSql(schema, database),
    catalog: ATHENA_CATALOG,
    schema: database,
    columns: columns.map((column) => ({ name: column.name, type: column.trino })),
  };
  return {
    Name: pipelineViewName(schema.pipelineId),
    Description: `Pipeline ${schema.pipelineId}'s webhooks with typed columns inferred by Hooklake (schema version ${schema.version})`,
    TableType: 'VIRTUAL_VIEW',
    Parameters: { presto_view: 'true', comment: 'Presto View', hooklake_schema_version: String(schema.version) },
    ViewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(definition), 'utf8').toString('base64')} */`,
    ViewExpandedText: '/* Presto View */',
    StorageDescriptor: {
      Columns: columns.map((column) => ({ Name: column.name, Type: column.hive })),
      SerdeInfo: {},
    },
  };
}

export type GlueViewTableInput = ReturnType<typeof glueViewTableInput>;

/** The JSON definition inside a Presto view's original text (tests, and reading a view back). */
export function decodePrestoView(originalText: string): { originalSql: string; catalog: string; schema: string; columns: { name: string; type: string }[] } | undefined {
  const match = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(originalText);
  if (match === null) return undefined;
  try {
    return JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}
