// The two views of one schema: DuckDB's over real Parquet files written as the processor writes
// them, Athena's checked by a Trino grammar (dt-sql-parser) and decoded from its Glue table input.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWebhookRows, type WebhookRow } from '../../../../../shared/domain/lake/objects.ts';
import { emptySchema, mergeSchema, observeSample, type PipelineSchema } from '../../../../../shared/domain/lake/schema.ts';
import {
  athenaPipelineViewSql,
  decodePrestoView,
  duckdbPipelineViewSql,
  glueViewTableInput,
  jsonPointer,
  MAX_VIEWS_PER_QUERY,
  pipelineIdOfView,
  pipelineViewsNamedIn,
  trinoJsonPath,
} from '../../../../../shared/domain/lake/schema-views.ts';
import { webhookViewStatements } from '../../../../../shared/domain/lake/views.ts';

const BODIES: { body: string; ts: number; method?: string; contentType?: string }[] = [
  { body: '{"order":{"id":1,"total":10.5,"paid":true,"at":"2026-11-20T10:00:00+02:00","items":[{"sku":"a"}]},"customer":{"email":"a@x.io"},"n":"1"}', ts: 1_800_000_000 },
  { body: '{"order":{"id":2,"total":4,"paid":false,"at":"2026-11-20 09:00:00","items":[]},"customer":{"email":"b@x.io"},"n":"1"}', ts: 1_800_000_001 },
  // values that do not fit the inferred types: they must read as NULL, never fail the query
  { body: '{"order":{"id":"three","total":"lots","paid":"maybe","at":"yesterday","items":{"not":"a list"}},"customer":"none","n":"1"}', ts: 1_800_000_002 },
  { body: '{"order":{"id":5.0,"total":1e2,"paid":"true","at":"2026-11-20T23:59:59Z"},"n":"1"}', ts: 1_800_000_003 },
  // a form post: its values are text, typed from it
  { body: '{"qty":"3","price":"2.50","ok":"true","when":"2022-11-30 22:53:19","code":"007"}', ts: 1_800_000_004, method: 'POST', contentType: 'application/x-www-form-urlencoded' },
];

function schemaFor(rows: typeof BODIES, fitRows = 2): PipelineSchema {
  // Inferred from the well-typed rows only, so the others test values that do not fit.
  const sample = rows.slice(0, fitRows).concat(rows.slice(4)).map((row) => ({ body: row.body, ts: row.ts, textValues: row.contentType !== undefined }));
  return mergeSchema(emptySchema(7), observeSample(sample), { now: '2027-01-01T00:00:00Z' });
}

let dir: string;

function rowOf(row: (typeof BODIES)[number], index: number): WebhookRow {
  return {
    __kdd_request_id: `req${String(index).padStart(17, 'a')}`,
    __kdd_request_unix_timestamp: row.ts,
    __kdd_requester_key: 'c0a8d1f2-3b4c-4d5e-8f60-718293a4b5c6',
    __kdd_request_body: row.body,
    __hl_request_method: row.method ?? 'POST',
    __hl_request_headers: JSON.stringify({ 'content-type': row.contentType ?? 'application/json' }),
    __hl_request_query: '{}',
    __hl_provider_delivery_id: null,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hooklake-schema-views-'));
  const partition = join(dir, 'webhooks', 'pipeline_id=7', 'dt=2027-01-15');
  mkdirSync(partition, { recursive: true });
  const rows = BODIES.map(rowOf);
  // a duplicate delivery of the first request, stored again later: the view must count it once
  writeFileSync(join(partition, 'a.parquet'), encodeWebhookRows(rows));
  writeFileSync(join(partition, 'b.parquet'), encodeWebhookRows([{ ...rows[0]!, __kdd_request_unix_timestamp: rows[0]!.__kdd_request_unix_timestamp + 5 }]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function duckdb<T>(statements: string[], sql: string): Promise<{ rows: T[]; types: Record<string, string> }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of statements) await connection.run(statement);
    const reader = await connection.runAndReadAll(sql);
    const types = Object.fromEntries(reader.columnNames().map((name, index) => [name, reader.columnTypes()[index]!.toString()]));
    return { rows: reader.getRowObjectsJson() as T[], types };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('DuckDB view pipeline_<N>', () => {
  it('reads every typed column over the real files; values that do not fit are NULL; duplicates count once', async () => {
    const schema = schemaFor(BODIES);
    expect(Object.fromEntries(schema.columns.map((c) => [c.name, c.type]))).toEqual({
      order_id: 'bigint', order_total: 'double', order_paid: 'boolean', order_at: 'timestamp', order_items: 'json',
      customer_email: 'varchar', n: 'varchar', qty: 'bigint', price: 'double', ok: 'boolean', when_: 'timestamp', code: 'varchar',
    });
    const statements = [...webhookViewStatements({ compacted: [], recent: [join(dir, 'webhooks', 'pipeline_id=*', 'dt=*', '*.parquet')] }), duckdbPipelineViewSql(schema)];
    const { rows, types } = await duckdb<Record<string, unknown>>(statements, 'select * exclude (__kdd_request_body, __hl_request_headers, __hl_request_query) from pipeline_7 order by __kdd_request_unix_timestamp');
    expect(types).toMatchObject({ pipeline_id: 'BIGINT', dt: 'DATE', order_id: 'BIGINT', order_total: 'DOUBLE', order_paid: 'BOOLEAN', order_at: 'TIMESTAMP', order_items: 'VARCHAR', qty: 'BIGINT', when_: 'TIMESTAMP' });
    expect(rows).toHaveLength(5);
    const pick = (row: Record<string, unknown>) => [row.order_id, row.order_total, row.order_paid, row.order_at, row.order_items, row.customer_email];
    expect(rows.map(pick)).toEqual([
      ['1', 10.5, true, '2026-11-20 08:00:00', '[{"sku":"a"}]', 'a@x.io'],
      ['2', 4, false, '2026-11-20 09:00:00', '[]', 'b@x.io'],
      [null, null, null, null, '{"not":"a list"}', null],
      [null, 100, true, '2026-11-20 23:59:59', null, null],
      [null, null, null, null, null, null],
    ]);
    expect([rows[4]!.qty, rows[4]!.price, rows[4]!.ok, rows[4]!.when_, rows[4]!.code]).toEqual(['3', 2.5, true, '2022-11-30 22:53:19', '007']);
    const sums = await duckdb<Record<string, unknown>>(statements, 'select sum(order_total) as total, count(*) filter (where order_paid) as paid from pipeline_7');
    expect(sums.rows).toEqual([{ total: 114.5, paid: '2' }]);
  });

  it('timestamps are UTC whatever the session time zone', async () => {
    const schema = schemaFor(BODIES);
    const statements = ["set TimeZone = 'America/Sao_Paulo'", ...webhookViewStatements({ compacted: [], recent: [join(dir, 'webhooks', 'pipeline_id=*', 'dt=*', '*.parquet')] }), duckdbPipelineViewSql(schema)];
    const { rows } = await duckdb<{ order_at: string }>(statements, 'select order_at from pipeline_7 where order_at is not null order by 1');
    expect(rows.map((row) => row.order_at)).toEqual(['2026-11-20 08:00:00', '2026-11-20 09:00:00', '2026-11-20 23:59:59']);
  });

  it('a schema with no columns, and paths with any key', async () => {
    expect(jsonPointer(['a/b', 'c~d', "it's"])).toBe("/a~1b/c~0d/it's");
    const schema: PipelineSchema = { ...emptySchema(7), columns: [{ name: 'odd', path: ['a/b', "it's"], type: 'bigint', firstSeen: 1, lastSeen: 1, rows: 1, example: null }] };
    const { rows } = await duckdb<{ odd: string }>([duckdbPipelineViewSql(schema, `(select 7 as pipeline_id, DATE '2027-01-01' as dt, 'x' as __kdd_request_id, 1.0 as __kdd_request_unix_timestamp, 'k' as __kdd_requester_key, '{"a/b":{"it''s":42}}' as __kdd_request_body, null as __hl_request_method, null as __hl_request_headers, null as __hl_request_query, null as __hl_provider_delivery_id)`)], 'select odd from pipeline_7');
    expect(rows).toEqual([{ odd: '42' }]);
    expect(duckdbPipelineViewSql(emptySchema(7))).toContain('from webhooks where pipeline_id = 7');
  });
});

describe("Athena's view", () => {
  const trino = new TrinoSQL();

  it('is Trino SQL the grammar accepts, with the same columns and types', () => {
    const schema = schemaFor(BODIES);
    const sql = athenaPipelineViewSql(schema, 'hooklake');
    expect(trino.validate(sql)).toEqual([]);
    expect(trino.validate(`CREATE OR REPLACE VIEW pipeline_7 AS ${sql}`)).toEqual([]);
    expect(sql).toContain(`WHERE pipeline_id = '7'`);
    expect(sql).toContain(`try_cast(json_extract_scalar(__kdd_request_body, '$["order"]["id"]') AS bigint) AS "order_id"`);
    expect(sql).toContain(`CAST(try(from_iso8601_timestamp(replace(json_extract_scalar(__kdd_request_body, '$["order"]["at"]'), ' ', 'T'))) AT TIME ZONE 'UTC' AS timestamp(3)) AS "order_at"`);
    expect(sql).toContain(`json_format(json_extract(__kdd_request_body, '$["order"]["items"]')) AS "order_items"`);
    // The check can fail: DuckDB's own dialect is refused by the Trino grammar.
    expect(trino.validate(duckdbPipelineViewSql(schema).replace(/^create or replace view pipeline_7 as /, '') + ' qualify 1 = 1')).not.toEqual([]);
    expect(trino.validate('select x::int from t')).not.toEqual([]);
  });

  it("keys with quotes of SQL are escaped; JSON path keys are quoted", () => {
    expect(trinoJsonPath(['a b', "it's"])).toBe(`$["a b"]["it's"]`);
    const schema: PipelineSchema = { ...emptySchema(3), columns: [{ name: 'its', path: ["it's"], type: 'varchar', firstSeen: 1, lastSeen: 1, rows: 1, example: null }] };
    const sql = athenaPipelineViewSql(schema, 'hooklake');
    expect(sql).toContain(`json_extract_scalar(__kdd_request_body, '$["it''s"]') AS "its"`);
    expect(trino.validate(sql)).toEqual([]);
  });

  it('the Glue table input is a Presto view: VIRTUAL_VIEW, base64 JSON definition, Hive-typed columns', () => {
    const schema = schemaFor(BODIES);
    const input = glueViewTableInput(schema, 'hooklake');
    expect(input).toMatchObject({ Name: 'pipeline_7', TableType: 'VIRTUAL_VIEW', ViewExpandedText: '/* Presto View */', Parameters: { presto_view: 'true', comment: 'Presto View' } });
    const definition = decodePrestoView(input.ViewOriginalText)!;
    expect(definition).toMatchObject({ catalog: 'awsdatacatalog', schema: 'hooklake', originalSql: athenaPipelineViewSql(schema, 'hooklake') });
    expect(definition.columns.slice(0, 3)).toEqual([{ name: 'pipeline_id', type: 'varchar' }, { name: 'dt', type: 'varchar' }, { name: '__kdd_request_id', type: 'varchar' }]);
    expect(definition.columns.find((c) => c.name === 'order_at')).toEqual({ name: 'order_at', type: 'timestamp(3)' });
    expect(input.StorageDescriptor.Columns.find((c) => c.Name === 'order_total')).toEqual({ Name: 'order_total', Type: 'double' });
    expect(input.StorageDescriptor.Columns.find((c) => c.Name === 'customer_email')).toEqual({ Name: 'customer_email', Type: 'string' });
    expect(input.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(definition.columns.map((c) => c.name));
    expect(decodePrestoView('/* not a view */')).toBeUndefined();
  });

  it('view names', () => {
    expect(pipelineIdOfView('pipeline_42')).toBe(42);
    expect(pipelineIdOfView('pipeline_042')).toBeUndefined();
    expect(pipelineIdOfView('webhooks')).toBeUndefined();
  });

  it('finds the typed views a query names, once each, bounded', () => {
    expect(pipelineViewsNamedIn('select * from pipeline_3 join "PIPELINE_12" using (id) where x in (select y from Pipeline_3)')).toEqual([3, 12]);
    // Not a view name: part of a longer word, a leading zero, no number.
    expect(pipelineViewsNamedIn('select my_pipeline_3, pipeline_3x, pipeline_03, pipeline_ from webhooks')).toEqual([]);
    const many = Array.from({ length: MAX_VIEWS_PER_QUERY + 5 }, (_, index) => `pipeline_${index + 1}`).join(', ');
    expect(pipelineViewsNamedIn(`select * from ${many}`)).toEqual(Array.from({ length: MAX_VIEWS_PER_QUERY }, (_, index) => index + 1));
  });
});
