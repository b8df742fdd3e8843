// The diff and the fold, run by DuckDB on local files (no emulators): what each mode sends against
// what was delivered before, in what order and with what numbers, and how a run's delivered
// row-ops become the next snapshot.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_DATA_BYTES } from '../../../../../shared/domain/delivery/queue-messages.ts';
import type { SyncMode } from '../../../../../shared/domain/syncs/definition.ts';
import { foldOps, planOps, readOpsFile } from '../../../../../shared/adapters/duckdb/sync-duckdb.ts';

let root: string;
let runs = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hooklake-diff-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const source = (rows: Array<[number | null, string]>) =>
  `select * from (values ${rows.map(([id, name]) => `(${id === null ? 'null::integer' : id}, '${name}')`).join(', ')}) as t(id, name) order by name`;

/** Plans one run against `snapshot` (a previous run's output), delivers `deliver` of its row-ops (all by default), folds. */
async function run(mode: SyncMode, sql: string, snapshot: string | undefined, deliver?: (rowNum: number) => boolean) {
  const workDir = join(root, `run${++runs}`);
  const opsPath = join(workDir, 'ops.parquet');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(workDir, { recursive: true });
  const snapshotPath = snapshot === undefined ? undefined : join(workDir, 'base.parquet');
  if (snapshot !== undefined) (await import('node:fs')).copyFileSync(snapshot, snapshotPath!);
  const plan = await planOps({ lakeDir: join(root, 'lake'), workDir, snapshotPath, opsPath, definition: { sql, primaryKey: 'id', mapping: [], mode } });
  const ops = await readOpsFile(opsPath, 1, plan.totalOps);
  const outPath = join(workDir, 'next.parquet');
  const delivered = ops.map((op) => op.rowNum).filter((rowNum) => deliver?.(rowNum) ?? true);
  await foldOps({ workDir, snapshotPath, opsPath, outPath, mode, delivered: (async function* () { yield delivered; })() });
  return { plan, ops: ops.map((op) => `${op.rowNum} ${op.op} ${op.rowJson}`), snapshot: outPath };
}

const first: Array<[number, string]> = [[1, 'a'], [2, 'b'], [3, 'c']];
const second: Array<[number, string]> = [[1, 'a'], [2, 'b2'], [4, 'd']]; // 2 changed, 3 gone, 4 new

describe('diff by mode', () => {
  const expected: Record<SyncMode, string[]> = {
    upsert: ['1 upsert {"id":2,"name":"b2"}', '2 upsert {"id":4,"name":"d"}'],
    mirror: ['1 upsert {"id":2,"name":"b2"}', '2 upsert {"id":4,"name":"d"}', '3 delete {"id":3,"name":"c"}'],
    append: ['1 append {"id":2,"name":"b2"}', '2 append {"id":4,"name":"d"}'],
    create: ['1 create {"id":4,"name":"d"}'],
    delete: ['1 delete {"id":4,"name":"d"}'],
  };
  for (const mode of Object.keys(expected) as SyncMode[]) {
    it(`${mode}: the second run sends ${expected[mode].length} row-ops, numbered in query order (deletes last)`, async () => {
      const one = await run(mode, source(first), undefined);
      expect(one.ops).toEqual(first.map(([id, name], i) => `${i + 1} ${mode === 'mirror' ? 'upsert' : mode} {"id":${id},"name":"${name}"}`));
      const two = await run(mode, source(second), one.snapshot);
      expect(two.ops).toEqual(expected[mode]);
      // A third run over an unchanged source sends nothing.
      expect((await run(mode, source(second), two.snapshot)).ops).toEqual([]);
    });
  }
});

describe('the snapshot holds only what was delivered', () => {
  it('a row-op not delivered is planned again by the next run; delivered ones are not', async () => {
    const one = await run('upsert', source(first), undefined, (rowNum) => rowNum !== 2);
    expect((await run('upsert', source(first), one.snapshot)).ops).toEqual(['1 upsert {"id":2,"name":"b"}']);
  });

  it('an undelivered mirror delete is sent again; a delivered one removes the key for good', async () => {
    const one = await run('mirror', source(first), undefined);
    const two = await run('mirror', source([[1, 'a'], [2, 'b']]), one.snapshot, () => false);
    expect(two.ops).toEqual(['1 delete {"id":3,"name":"c"}']);
    const three = await run('mirror', source([[1, 'a'], [2, 'b']]), two.snapshot);
    expect(three.ops).toEqual(['1 delete {"id":3,"name":"c"}']);
    expect((await run('mirror', source([[1, 'a'], [2, 'b']]), three.snapshot)).ops).toEqual([]);
  });

  it('folding the same delivered row-ops twice gives the same snapshot (a fold repeated after a crash)', async () => {
    const one = await run('mirror', source(first), undefined);
    const two = await run('mirror', source(second), one.snapshot);
    const workDir = join(root, `run${runs}`);
    const again = join(workDir, 'again.parquet');
    const all = (async function* () { yield [1, 2, 3]; })();
    await foldOps({ workDir, snapshotPath: two.snapshot, opsPath: join(workDir, 'ops.parquet'), outPath: again, mode: 'mirror', delivered: all });
    expect(await snapshotRows(again)).toEqual(await snapshotRows(two.snapshot));
    expect(await snapshotRows(two.snapshot)).toEqual([
      ['1', '{"id":1,"name":"a"}'],
      ['2', '{"id":2,"name":"b2"}'],
      ['4', '{"id":4,"name":"d"}'],
    ]);
  });
});

async function snapshotRows(path: string): Promise<string[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(`select k, row_json from read_parquet('${path}') order by k`);
    connection.closeSync();
    return reader.getRowObjectsJson().map((row) => [String(row.k), String(row.row_json)]);
  } finally {
    instance.closeSync();
  }
}

describe('rows that fail', () => {
  it('null and repeated keys are counted and never sent; a repeated key is not deleted by mirror', async () => {
    const one = await run('mirror', source(first), undefined);
    const two = await run('mirror', source([[1, 'a'], [3, 'x'], [3, 'y'], [null, 'z'], [2, 'b']]), one.snapshot);
    expect(two.plan).toMatchObject({ rows: 5, failedRows: { null_primary_key: 1, duplicate_primary_key: 2 }, totalOps: 0 });
  });

  it('a row-op too large to send is written without its key and row, so no reader of the file ever holds them', async () => {
    const big = 'x'.repeat(MAX_EVENT_DATA_BYTES);
    const workDir = join(root, `run${++runs}`);
    mkdirSync(workDir, { recursive: true });
    const opsPath = join(workDir, 'ops.parquet');
    const sql = `select * from (values (1, 'small'), (2, '${big}')) as t(id, name) order by id`;
    const plan = await planOps({ lakeDir: join(root, 'lake'), workDir, opsPath, definition: { sql, primaryKey: 'id', mapping: [], mode: 'upsert' } });
    expect(plan).toMatchObject({ rows: 2, counts: { upsert: 2 }, totalOps: 2 });
    const ops = await readOpsFile(opsPath, 1, 2);
    expect(ops[0]).toEqual({ rowNum: 1, op: 'upsert', key: '1', rowJson: '{"id":1,"name":"small"}' });
    expect(ops[1]).toEqual({ rowNum: 2, op: 'upsert', key: '', rowJson: '', tooLarge: true });
  });

  it('a mapped source or key missing from the result fails the plan with the columns it has', async () => {
    await expect(run('upsert', 'select 1 as other', undefined)).rejects.toThrow(`the query's result has no column "id" (the primary key); its columns are "other"`);
  });
});
