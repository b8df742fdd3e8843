// shared/domain/syncs/diff-sql.ts, run by DuckDB on local files (no emulators): the user's query as
// a subquery (trailing semicolons and comments), field mappings and quoted names, paths that need
// quoting, reading a window of row-ops, and what a snapshot keeps. test/unit/shared/adapters/duckdb/sync-duckdb.test.ts
// covers the diff of each mode.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldOps, planOps, readOpsFile } from '../../../../../shared/adapters/duckdb/sync-duckdb.ts';
import type { FieldMapping, SyncMode } from '../../../../../shared/domain/syncs/definition.ts';
import { sourceStatements } from '../../../../../shared/domain/syncs/diff-sql.ts';

let root: string;
let runs = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hooklake-diff-sql-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface RunOptions {
  primaryKey?: string;
  mapping?: FieldMapping[];
  snapshot?: string;
  /** The run's directory name under the test root. */
  dirName?: string;
}

/** Plans one run, delivers all its row-ops and folds them; returns the row-ops and the next snapshot. */
async function run(mode: SyncMode, sql: string, options: RunOptions = {}) {
  const workDir = join(root, options.dirName ?? `run${++runs}`, `run${++runs}`);
  mkdirSync(workDir, { recursive: true });
  const snapshotPath = options.snapshot === undefined ? undefined : join(workDir, 'base.parquet');
  if (options.snapshot !== undefined) copyFileSync(options.snapshot, snapshotPath!);
  const opsPath = join(workDir, 'ops.parquet');
  const definition = { sql, primaryKey: options.primaryKey ?? 'id', mapping: options.mapping ?? [], mode };
  const plan = await planOps({ lakeDir: join(root, 'lake'), workDir, snapshotPath, opsPath, definition });
  const ops = await readOpsFile(opsPath, 1, plan.totalOps);
  const outPath = join(workDir, 'next.parquet');
  await foldOps({ workDir, snapshotPath, opsPath, outPath, mode, delivered: (async function* () { yield ops.map((op) => op.rowNum); })() });
  return { plan, opsPath, ops: ops.map((op) => `${op.rowNum} ${op.op} ${op.key} ${op.rowJson}`), snapshot: outPath };
}

async function withDuckDb<T>(use: (connection: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await use(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const snapshotRows = (path: string) =>
  withDuckDb(async (connection) =>
    (await connection.runAndReadAll(`select k, row_json from read_parquet('${path.replaceAll("'", "''")}') order by k`))
      .getRowObjectsJson()
      .map((row) => [row.k, row.row_json]),
  );

describe("the user's query", () => {
  it.each([
    ['one trailing semicolon', `select 1 as id, 'a' as name;`],
    ['two', `select 1 as id, 'a' as name;;`],
    ['semicolons with spaces and lines between', 'select 1 as id, \'a\' as name ; ;\n ;  '],
    ['a trailing comment', `select 1 as id, 'a' as name -- the last line`],
    ['leading blank lines', `\n\n  select 1 as id, 'a' as name`],
  ])('runs as written with %s', async (_what, sql) => {
    expect((await run('upsert', sql)).ops).toEqual(['1 upsert 1 {"id":1,"name":"a"}']);
  });

  it('keeps semicolons inside its string literals', async () => {
    expect((await run('upsert', `select 1 as id, 'a;b; ' as name;`)).ops).toEqual(['1 upsert 1 {"id":1,"name":"a;b; "}']);
    expect((await run('upsert', `select 1 as id, ';' as name`)).ops).toEqual(['1 upsert 1 {"id":1,"name":";"}']);
  });
});

describe('names and paths that need quoting', () => {
  it('maps source columns to destination fields, names with quotes and spaces included', async () => {
    const sql = `select 7 as "order id", 'Ada' as "first ""name""", 'x' as unused`;
    const mapping = [
      { source: 'order id', destination: 'id' },
      { source: 'first "name"', destination: 'say "hi"' },
    ];
    const { ops } = await run('upsert', sql, { primaryKey: 'order id', mapping });
    expect(ops).toEqual(['1 upsert 7 {"id":7,"say \\"hi\\"":"Ada"}']);
  });

  it('takes a primary key column whose name holds a double quote', async () => {
    expect((await run('create', `select 3 as "we""ird", 'c' as name`, { primaryKey: 'we"ird' })).ops).toEqual(['1 create 3 {"we\\"ird":3,"name":"c"}']);
  });

  it("works in a directory whose name holds an apostrophe (snapshot, row-ops and fold paths)", async () => {
    const one = await run('upsert', `select 1 as id, 'a' as name`, { dirName: "it's" });
    expect(one.snapshot).toContain("it's");
    const two = await run('upsert', `select 1 as id, 'b' as name union all select 2, 'c' order by id`, { dirName: "it's", snapshot: one.snapshot });
    expect(two.ops).toEqual(['1 upsert 1 {"id":1,"name":"b"}', '2 upsert 2 {"id":2,"name":"c"}']);
  });
});

describe('row-ops and snapshots', () => {
  it('reads exactly the window of row-ops asked for', async () => {
    const { opsPath, plan } = await run('append', 'select range as id, range * 10 as v from range(1, 6) order by id');
    expect(plan.totalOps).toBe(5);
    expect((await readOpsFile(opsPath, 2, 3)).map((op) => [op.rowNum, op.key])).toEqual([
      [2, '2'],
      [3, '3'],
    ]);
    expect((await readOpsFile(opsPath, 5, 9)).map((op) => op.rowNum)).toEqual([5]);
  });

  it("keeps each row's JSON only for mirror (its deletes send it); other modes keep keys and hashes", async () => {
    const sql = `select 1 as id, 'a' as name`;
    expect(await snapshotRows((await run('mirror', sql)).snapshot)).toEqual([['1', '{"id":1,"name":"a"}']]);
    for (const mode of ['upsert', 'append', 'create', 'delete'] as const) {
      expect(await snapshotRows((await run(mode, sql)).snapshot), mode).toEqual([['1', null]]);
    }
  });

  it('the numbered rows are dropped once checked: the result is not held twice while the run plans', async () => {
    const tables = await withDuckDb(async (connection) => {
      for (const statement of sourceStatements({ sql: 'select range as id from range(3)', primaryKey: 'id', mapping: [] })) {
        await connection.run(statement);
      }
      return (await connection.runAndReadAll('select table_name from duckdb_tables() order by table_name')).getRowObjectsJson().map((row) => row.table_name);
    });
    expect(tables).toEqual(['hl_checked']);
  });
});
