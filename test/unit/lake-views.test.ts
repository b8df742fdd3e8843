import { describe, expect, it } from 'vitest';
import { partitionOf, quarantineObjectKey, webhooksObjectKey } from '../../shared/domain/lake.ts';
import { WEBHOOKS_OBJECT_KEY, webhookViewStatements } from '../../shared/domain/lake-views.ts';

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
});
