import { describe, expect, it } from 'vitest';
import { partitionOf, quarantineObjectKey, webhooksObjectKey } from '../../../../../shared/domain/lake/objects.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { deliveryDedupSql, WEBHOOKS_OBJECT_KEY, WEBHOOK_VIEW_COLUMNS, webhookViewStatements } from '../../../../../shared/domain/lake/views.ts';

describe('lake views', () => {
  it('the reader accepts the webhooks keys the processor writes and ignores quarantine and stray objects', () => {
    const partition = partitionOf(42, Date.UTC(2026, 10, 3) / 1000);
    const key = webhooksObjectKey(partition, [{ id: 'abc', ts: Date.UTC(2026, 10, 3) / 1000 }]);
    expect(WEBHOOKS_OBJECT_KEY.exec(key)?.slice(1, 3)).toEqual(['42', '2026-11-03']);
    expect(WEBHOOKS_OBJECT_KEY.test(quarantineObjectKey(partition, [{ id: 'abc', ts: Date.UTC(2026, 10, 3) / 1000 }]))).toBe(false);
    expect(WEBHOOKS_OBJECT_KEY.test(`${key}.partial`)).toBe(false);
    expect(WEBHOOKS_OBJECT_KEY.test('webhooks/pipeline_id=42/notes.parquet')).toBe(false);
  });

  it('quotes the Parquet glob as an SQL string literal', () => {
    const [raw] = webhookViewStatements("/tmp/it's/webhooks/*.parquet");
    expect(raw).toContain("read_parquet('/tmp/it''s/webhooks/*.parquet'");
  });

  it('webhooks is the deduplicated view unless raw is asked for', () => {
    expect(webhookViewStatements(undefined)[1]).toMatch(/qualify row_number\(\) over \(partition by pipeline_id, __kdd_request_id /);
    expect(webhookViewStatements(undefined, { raw: true })[1]).toBe('create view webhooks as select * from webhooks_raw');
  });

  it('webhooks_by_delivery counts each provider delivery once per pipeline, rows without an id once per request, the earliest copy', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const row = (pipeline: number, id: string, ts: number, delivery: string | null) =>
        `(${pipeline}, DATE '2026-11-30', '${id}', ${ts}, 'k', '{}', 'POST', '{}', '{}', ${delivery === null ? 'null' : `'${delivery}'`})`;
      await connection.run(
        `create table webhooks_raw (${WEBHOOK_VIEW_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`,
      );
      await connection.run(
        `insert into webhooks_raw values ${[
          row(1, 'aaa', 3, 'gh-1'), // a redelivery of gh-1, later
          row(1, 'bbb', 1, 'gh-1'),
          row(1, 'ccc', 2, null), // an SQS duplicate of one request without an id
          row(1, 'ccc', 2.5, null),
          row(1, 'ddd', 4, 'ccc'), // a delivery id equal to another row's request id stays apart
          row(2, 'eee', 5, 'gh-1'), // another pipeline's same id stays apart
        ].join(', ')}`,
      );
      const reader = await connection.runAndReadAll(`select pipeline_id, __kdd_request_id as id from (${deliveryDedupSql('webhooks_raw')}) order by 1, 2`);
      expect(reader.getRowObjectsJson()).toEqual([
        { pipeline_id: '1', id: 'bbb' },
        { pipeline_id: '1', id: 'ccc' },
        { pipeline_id: '1', id: 'ddd' },
        { pipeline_id: '2', id: 'eee' },
      ]);
      expect(webhookViewStatements(undefined)[2]).toBe(`create view webhooks_by_delivery as ${deliveryDedupSql('webhooks_raw')}`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
