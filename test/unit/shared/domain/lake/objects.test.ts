import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { requestIdTime, requestIdTimePrefix } from '../../../../../shared/domain/request-id.ts';
import { describe, expect, it } from 'vitest';
import { utcDay } from '../../../../../shared/domain/clock.ts';
import { parseIngestMessage } from '../../../../../shared/domain/ingest/message.ts';
import {
  columnCodec,
  contentName,
  objectTimeRange,
  encodeWebhookRows,
  partitionOf,
  quarantineObjectKey,
  webhookRowOf,
  webhooksObjectKey,
  type WebhookRow,
  STATISTICS_COLUMNS,
} from '../../../../../shared/domain/lake/objects.ts';
import { PARQUET_COMPRESSORS, PARQUET_DECOMPRESSORS } from '../../../../../shared/domain/lake/parquet-codecs.ts';
import { newRequestId } from '../../../../../shared/domain/credentials.ts';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { PARQUET_TYPES, WEBHOOK_COLUMNS } from '../../../../../shared/domain/lake/columns.ts';

describe('lake layout', () => {
  it('dt is the UTC day of the request', () => {
    expect(utcDay(1577015690.31)).toBe('2019-12-22');
    expect(partitionOf(7, 1577059199.999)).toEqual({ pipelineId: 7, dt: '2019-12-22' });
    expect(partitionOf(7, 1577059200)).toEqual({ pipelineId: 7, dt: '2019-12-23' });
  });

  it('object names are the UTC time range of their requests then a hash of the set of ids, not their order', () => {
    const partition = { pipelineId: 12, dt: '2026-11-23' };
    const at = (id: string, hhmmss: string) => ({ id, ts: Date.parse(`2026-11-23T${hhmmss}.250Z`) / 1000 });
    const key = webhooksObjectKey(partition, [at('b', '10:00:07'), at('a', '09:59:58'), at('c', '10:00:01')]);
    expect(key).toMatch(/^webhooks\/pipeline_id=12\/dt=2026-11-23\/095958-100007-[0-9a-f]{32}\.parquet$/);
    expect(webhooksObjectKey(partition, [at('c', '10:00:01'), at('b', '10:00:07'), at('a', '09:59:58')])).toBe(key);
    expect(webhooksObjectKey(partition, [at('a', '09:59:58'), at('b', '10:00:07')])).not.toBe(key);
    expect(contentName(['ab', 'c'])).not.toBe(contentName(['a', 'bc']));
    // Names must not change between versions: a batch retried after a deploy overwrites its object.
    expect(contentName(['b', 'a', 'ccc', 'é🎉'])).toBe('7589cf470a1f6056f876ce6fa810bf5b');
    expect(contentName([])).toBe('e3b0c44298fc1c149afbf4c8996fb924');
    const quarantined = quarantineObjectKey(partition, [at('a', '00:00:00')]);
    expect(quarantined).toMatch(/^quarantine\/pipeline_id=12\/dt=2026-11-23\/000000-000000-[0-9a-f]{32}\.jsonl$/);
    expect(objectTimeRange(key.split('/').pop()!)).toEqual({ first: '095958', last: '100007' });
    expect(objectTimeRange('0123456789abcdef0123456789abcdef.parquet')).toBeUndefined();
  });

  it('request ids carry their receive second in the first 7 letters and sort by it', () => {
    const ts = Date.parse('2026-11-23T10:00:07.900Z') / 1000;
    const id = newRequestId(ts);
    expect(id).toMatch(/^[a-z]{20}$/);
    expect(requestIdTime(id)).toBe(Math.floor(ts));
    expect(requestIdTimePrefix(ts)).toBe(id.slice(0, 7));
    expect(newRequestId(ts + 1).slice(0, 7) > id.slice(0, 7)).toBe(true);
    expect(newRequestId(ts).slice(7)).not.toBe(id.slice(7));
    expect(requestIdTime('not-an-id')).toBeUndefined();
    expect(requestIdTime('zzzzzzzzzzzzzzzzzzzz')).toBe(26 ** 7 - 1);
  });

  it("writes Kondado's four columns first, then the __hl_* columns, nulls included, to Parquet", async () => {
    const kdd = { __kdd_requester_key: 'k' };
    const rows: WebhookRow[] = [
      {
        ...kdd,
        __kdd_request_id: 'a'.repeat(20),
        __kdd_request_unix_timestamp: 1.5,
        __kdd_request_body: '{"x":"é"}',
        __hl_request_method: 'POST',
        __hl_request_headers: '{"x-github-event":"push"}',
        __hl_request_query: '{}',
        __hl_provider_delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
      {
        ...kdd,
        __kdd_request_id: 'b'.repeat(20),
        __kdd_request_unix_timestamp: 2.25,
        __kdd_request_body: '[]',
        __hl_request_method: null,
        __hl_request_headers: null,
        __hl_request_query: null,
        __hl_provider_delivery_id: null,
      },
    ];
    const bytes = encodeWebhookRows(rows);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    expect(await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })).toEqual(rows);
    const metadata = parquetMetadata(file);
    expect(metadata.schema.slice(1).map((element) => element.name)).toEqual([
      '__kdd_request_id',
      '__kdd_request_unix_timestamp',
      '__kdd_requester_key',
      '__kdd_request_body',
      '__hl_request_method',
      '__hl_request_headers',
      '__hl_request_query',
      '__hl_provider_delivery_id',
    ]);
  });

  it("the processor's objects carry exact min/max statistics on the request id and time, which DuckDB reads, and none on the text columns", async () => {
    const start = Date.UTC(2026, 10, 23, 10) / 1000;
    // Out of order, as a batch may be.
    const rows: WebhookRow[] = [7, 0, 11, 3, 5].map((n) => ({
      __kdd_request_id: newRequestId(start + n * 1.5),
      __kdd_request_unix_timestamp: start + n * 1.5,
      __kdd_requester_key: '0'.repeat(36),
      __kdd_request_body: `{"n":${n}}`,
      __hl_request_method: 'POST',
      __hl_request_headers: '{}',
      __hl_request_query: '{}',
      __hl_provider_delivery_id: null,
    }));
    const ids = rows.map((row) => row.__kdd_request_id).sort();
    const bytes = encodeWebhookRows(rows);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const chunks = new Map(parquetMetadata(file).row_groups[0]!.columns.map((chunk) => [chunk.meta_data!.path_in_schema[0]!, chunk.meta_data!.statistics]));
    expect(chunks.get('__kdd_request_id')).toMatchObject({ min_value: ids[0], max_value: ids.at(-1) });
    expect(chunks.get('__kdd_request_unix_timestamp')).toMatchObject({ min_value: start, max_value: start + 11 * 1.5 });
    for (const column of ['__kdd_requester_key', '__kdd_request_body', '__hl_request_headers']) expect(chunks.get(column)?.min_value, column).toBeUndefined();

    const dir = mkdtempSync(join(tmpdir(), 'hooklake-stats-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      writeFileSync(join(dir, 'batch.parquet'), bytes);
      const read = await connection.runAndReadAll(
        `select path_in_schema as name, stats_min_value as min, stats_max_value as max from parquet_metadata('${join(dir, 'batch.parquet')}') ` +
          `where stats_min_value is not null order by 1`,
      );
      expect(read.getRowObjectsJson().map((row) => (row.name === '__kdd_request_id' ? row : { ...row, min: Number(row.min), max: Number(row.max) }))).toEqual([
        { name: '__kdd_request_id', min: ids[0], max: ids.at(-1) },
        { name: '__kdd_request_unix_timestamp', min: start, max: start + 11 * 1.5 },
      ]);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a row of a message queued before method, headers and query existed has nulls there', () => {
    const old = parseIngestMessage(
      `{"v":1,"id":"${'c'.repeat(20)}","ts":1.5,"pipelineId":1,"key":"${'0'.repeat(36)}","tokenSha256":"${'f'.repeat(64)}","format":"json","body":"{}"}`,
    );
    expect(webhookRowOf(old, '{}')).toMatchObject({ __hl_request_method: null, __hl_request_headers: null, __hl_request_query: null, __hl_provider_delivery_id: null });
    const current = { ...old, method: 'POST', headers: { 'x-a': '1' }, query: { q: ['1', '2'] } };
    expect(webhookRowOf(current, '{}')).toMatchObject({
      __hl_request_method: 'POST',
      __hl_request_headers: '{"x-a":"1"}',
      __hl_request_query: '{"q":["1","2"]}',
    });
  });
});

/** Bodies of every width of UTF-8 (a lone surrogate becomes U+FFFD, as the writer's TextEncoder makes it). */
const UNICODE_BODIES = ['{"a":"é"}', '{"e":"🎉 emoji"}', '{"lone":"\ud800"}', '"\u0000"', '', '{"cjk":"漢字"}'];

function batchOf(count: number, bodyOf: (i: number) => string, extra: Partial<WebhookRow> = {}): WebhookRow[] {
  return Array.from({ length: count }, (_, i) => ({
    __kdd_request_id: newRequestId(1764000000 + i),
    __kdd_request_unix_timestamp: 1764000000 + i / 7,
    __kdd_requester_key: '6f1c2a0e-8b7d-4c3e-9f21-0a5b6c7d8e9f',
    __kdd_request_body: bodyOf(i),
    __hl_request_method: 'POST',
    __hl_request_headers: '{"content-type":"application/json"}',
    __hl_request_query: '{}',
    __hl_provider_delivery_id: i % 2 === 0 ? null : `d-${i}`,
    ...extra,
  }));
}

describe('encodeWebhookRows: the distinct-valued columns written PLAIN', () => {
  it('gives the bytes the writer chooses by itself when ids, times and bodies are distinct, and reads back the same rows', () => {
    // Full Unicode, and a wide last body that does not fit what is left of the first UTF-8 buffer.
    const rows = batchOf(50, (i) => (i === 49 ? `{"wide":"${'漢字🎉'.repeat(2000)}"}` : JSON.stringify({ order: i, note: 'x'.repeat(i * 13) }) + UNICODE_BODIES[i % UNICODE_BODIES.length]));
    const bytes = encodeWebhookRows(rows);
    const chosen = new Uint8Array(
      parquetWriteBuffer({
        // encodeWebhookRows' settings but the encoding, which the writer picks here, and the
        // bodies, which it encodes to UTF-8 itself.
        columnData: WEBHOOK_COLUMNS.map((column) => {
          const data = rows.map((row) => row[column.name]);
          return {
            name: column.name,
            type: PARQUET_TYPES[column.type],
            nullable: column.nullable,
            data,
            statistics: STATISTICS_COLUMNS.has(column.name),
            codec: columnCodec(column.name, data),
          };
        }),
        compressors: PARQUET_COMPRESSORS,
        statistics: false,
        statisticsTruncateLength: 32,
      }),
    );
    expect(Buffer.from(bytes).equals(Buffer.from(chosen))).toBe(true);
    const encodings = parquetMetadata(bytes.buffer as ArrayBuffer).row_groups[0]!.columns.map((chunk) => chunk.meta_data?.encodings);
    expect(encodings[3]).not.toContain('RLE_DICTIONARY');
    expect(encodings[2]).toContain('RLE_DICTIONARY'); // the requester key repeats: still a dictionary
  });
});

describe('encodeWebhookRows: codecs', () => {
  it('an object encoded before another still holds its own rows (the text buffer is reused between batches)', async () => {
    const first = batchOf(30, (i) => `{"first":${i},"text":"${'é漢'.repeat(i)}"}`);
    const second = batchOf(30, (i) => `{"second":${i},"pad":"${'z'.repeat(i * 7)}"}`);
    const firstBytes = encodeWebhookRows(first);
    const firstCopy = Buffer.from(firstBytes);
    encodeWebhookRows(second);
    expect(Buffer.from(firstBytes).equals(firstCopy)).toBe(true);
    const file = firstBytes.buffer.slice(firstBytes.byteOffset, firstBytes.byteOffset + firstBytes.byteLength) as ArrayBuffer;
    expect(await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })).toEqual(first);
  });

  it('compresses the text columns with ZSTD, leaves the short ones and all-null ones uncompressed, and DuckDB and hyparquet read every row back', async () => {
    const rows = batchOf(
      120,
      (i) => `{"i":${i},"text":"${UNICODE_BODIES[i % UNICODE_BODIES.length]!.replaceAll('"', "'")}","pad":"${'abc'.repeat(i)}"}`,
      { __hl_request_query: null },
    );
    const bytes = encodeWebhookRows(rows);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const codecs = Object.fromEntries(parquetMetadata(file).row_groups[0]!.columns.map((chunk) => [chunk.meta_data!.path_in_schema[0]!, chunk.meta_data!.codec]));
    expect(codecs).toEqual({
      __kdd_request_id: 'UNCOMPRESSED',
      __kdd_request_unix_timestamp: 'UNCOMPRESSED',
      __kdd_requester_key: 'UNCOMPRESSED',
      __kdd_request_body: 'ZSTD',
      __hl_request_method: 'UNCOMPRESSED',
      __hl_request_headers: 'ZSTD',
      __hl_request_query: 'UNCOMPRESSED',
      __hl_provider_delivery_id: 'UNCOMPRESSED',
    });
    const expected = rows.map((row) => ({ ...row, __kdd_request_body: Buffer.from(row.__kdd_request_body).toString('utf8') }));
    expect(await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'hooklake-codecs-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      writeFileSync(join(dir, 'batch.parquet'), bytes);
      const read = await connection.runAndReadAll(`select * from read_parquet('${join(dir, 'batch.parquet')}')`);
      expect(read.getRowObjectsJson()).toEqual(expected);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
