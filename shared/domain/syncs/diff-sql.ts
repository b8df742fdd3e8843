// The diff of a run as SQL text (DuckDB dialect), so it runs inside the engine over any number of
// rows with bounded memory (DuckDB spills to disk), never row by row in JavaScript:
//
//   hl_rows      the query's result, numbered in its order, keyed (primary key as text) and mapped
//                (`to_json` of the mapped struct: the row's JSON text)
//   hl_checked   + the row's hash (md5 of its JSON text) and its problem: a null or repeated key
//   hl_snapshot  what was last delivered: key → hash (and, for mirror, the delivered row's JSON)
//   hl_ops       the run's row-ops by mode, numbered 1..N in the query's order, mirror's deletes last
//
// Folding a finished run: the snapshot without the keys of the delivered row-ops, plus those
// row-ops (except mirror's deletes, which remove their key). Applying the same delivered row-ops
// twice gives the same snapshot, so a fold repeated after a crash is harmless.
// Text only: the adapter (shared/adapters/duckdb/sync-workspace.ts) says where the files are and runs it.
import type { FieldMapping, SyncMode, SyncOp } from './definition.ts';

/** Why a row of the result is not sent (counted on the run, never failing it). */
export const ROW_PROBLEMS = ['null_primary_key', 'duplicate_primary_key'] as const;
export type RowProblem = (typeof ROW_PROBLEMS)[number];

export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;

const SOURCE_ALIAS = '"__hooklake_source"';

/** The user's SQL as a subquery: trailing semicolons dropped, and a line break before the closing parenthesis (a trailing `--` comment). */
export function userQueryText(sql: string): string {
  return sql.trim().replace(/(;\s*)+$/, '');
}

/** Statements that build hl_rows and hl_checked from the user's query. */
export function sourceStatements(definition: { sql: string; primaryKey: string; mapping: readonly FieldMapping[] }): string[] {
  const row =
    definition.mapping.length === 0
      ? SOURCE_ALIAS
      : `struct_pack(${definition.mapping.map((pair) => `${quoteIdentifier(pair.destination)} := ${SOURCE_ALIAS}.${quoteIdentifier(pair.source)}`).join(', ')})`;
  return [
    `create temp table hl_rows as select row_number() over () as src_pos, ` +
      `cast(${SOURCE_ALIAS}.${quoteIdentifier(definition.primaryKey)} as varchar) as k, ` +
      `cast(to_json(${row}) as varchar) as row_json ` +
      `from (\n${userQueryText(definition.sql)}\n) as ${SOURCE_ALIAS}`,
    `create temp table hl_checked as select src_pos, k, row_json, md5(row_json) as h, ` +
      `case when k is null then 'null_primary_key' when count(*) over (partition by k) > 1 then 'duplicate_primary_key' end as problem ` +
      `from hl_rows`,
    `drop table hl_rows`,
  ];
}

/** Loads the snapshot (a Parquet file of k, h, row_json), or an empty one before the first delivery. */
export function snapshotStatements(snapshotPath: string | undefined): string[] {
  return snapshotPath === undefined
    ? [`create temp table hl_snapshot (k varchar, h varchar, row_json varchar)`]
    : [`create temp table hl_snapshot as select k, h, row_json from read_parquet(${sqlString(snapshotPath)})`];
}

/** The op a mode sends for a row that is new or changed (mirror's deletes come on top). */
export function changeOp(mode: SyncMode): SyncOp {
  return mode === 'mirror' ? 'upsert' : mode;
}

/** hl_ops by mode: which rows become row-ops, and their numbering. */
export function opsStatement(mode: SyncMode): string {
  // upsert, mirror, append: new keys and changed rows; create: keys never delivered; delete: rows
  // whose deletion was never delivered (the snapshot of delete mode holds delivered deletions).
  const sendsChanges = mode === 'upsert' || mode === 'mirror' || mode === 'append';
  const condition = sendsChanges ? `(s.k is null or s.h <> c.h)` : `s.k is null`;
  const changes =
    `select c.src_pos, c.k, c.h, c.row_json, ${sqlString(changeOp(mode))} as op ` +
    `from hl_checked c left join hl_snapshot s on s.k = c.k where c.problem is null and ${condition}`;
  // A key still in the result (even on a row that failed) is not gone: only vanished keys are deleted.
  const deletes =
    `select null::bigint as src_pos, s.k, s.h, s.row_json, 'delete' as op from hl_snapshot s ` +
    `where not exists (select 1 from hl_checked c where c.k = s.k)`;
  const union = mode === 'mirror' ? `${changes} union all ${deletes}` : changes;
  return (
    `create temp table hl_ops as select row_number() over (order by src_pos asc nulls last, k) as row_num, op, k, h, row_json ` +
    `from (${union})`
  );
}

/**
 * Writes hl_ops to Parquet in row order, in row groups small enough that one chunk reads few of them.
 * A row-op whose key and row JSON together pass `maxRowBytes` can never be sent (an event's data is
 * bounded): it is written with neither (a null row_json marks it), so whatever reads the file later,
 * outside the query's bounded process, never holds a value that large.
 */
export function writeOpsStatement(opsPath: string, maxRowBytes: number): string {
  const tooLarge = `strlen(k) + strlen(row_json) > ${Math.floor(maxRowBytes)}`;
  return (
    `copy (select row_num, op, case when ${tooLarge} then null else k end as k, h, ` +
    `case when ${tooLarge} then null else row_json end as row_json from hl_ops order by row_num) ` +
    `to ${sqlString(opsPath)} (format parquet, row_group_size 8192)`
  );
}

/** Row-ops `from`..`to` (inclusive) of a run, in order. */
export function readOpsQuery(opsPath: string, from: number, to: number): string {
  return (
    `select row_num, op, k, row_json from read_parquet(${sqlString(opsPath)}) ` +
    `where row_num between ${Math.floor(from)} and ${Math.floor(to)} order by row_num`
  );
}

/**
 * The next snapshot: the current one (hl_snapshot) folded with the row-ops whose numbers are in
 * hl_delivered (BIGINT row_num), written to `outPath`. Mirror keeps each delivered row's JSON (its
 * later delete carries it); the other modes need only key and hash.
 */
export function foldStatement(mode: SyncMode, opsPath: string, outPath: string): string {
  const keep = mode === 'mirror' ? `where op <> 'delete'` : '';
  const rowJson = mode === 'mirror' ? 'row_json' : 'null::varchar as row_json';
  return (
    `copy (with done as (select o.k, o.h, o.row_json, o.op from read_parquet(${sqlString(opsPath)}) o ` +
    `where o.row_num in (select row_num from hl_delivered)) ` +
    `select s.k, s.h, s.row_json from hl_snapshot s where not exists (select 1 from done where done.k = s.k) ` +
    `union all select k, h, ${rowJson} from done ${keep}) to ${sqlString(outPath)} (format parquet)`
  );
}
