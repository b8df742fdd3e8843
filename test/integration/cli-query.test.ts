// queryLake against the fauxqs S3 bucket: sync into a local cache, DuckDB views, dedup.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryCache, queryLake, syncLake } from '../../shared/adapters/duckdb/lake-query.ts';
import { randomBytes } from 'node:crypto';
import { compactedObjectKey, encodeWebhookRows, webhooksObjectKey } from '../../shared/domain/lake/objects.ts';
import { manifestKey } from '../../shared/domain/lake/compaction.ts';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources } from '../../infra/local/resources.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';

interface Row {
  id: string;
  ts: number;
  key: string;
  body: string;
}

function parquet(rows: Row[]): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: '__kdd_request_id', type: 'STRING', data: rows.map((r) => r.id) },
        { name: '__kdd_request_unix_timestamp', type: 'DOUBLE', data: rows.map((r) => r.ts) },
        { name: '__kdd_requester_key', type: 'STRING', data: rows.map((r) => r.key) },
        { name: '__kdd_request_body', type: 'STRING', data: rows.map((r) => r.body) },
      ],
    }),
  );
}

const KEY = 'c0a8d1f2-3b4c-4d5e-8f60-718293a4b5c6';
const BODIES = {
  a: '{"order":1,"text":"olá ✓"}',
  b: 'name=x&v=2',
  c: '{"nested":{"quote":"it\'s"}}',
};

let emulators: Emulators;
let s3: S3Client;
let bucket: string;
let emptyBucket: string;
const dirs: string[] = [];
const cacheDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklake-cache-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  emulators = await startEmulators();
  const aws = { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } };
  bucket = (await provisionResources(emulators.endpoints, { prefix: 'query-lake' })).lakeBucket;
  emptyBucket = (await provisionResources(emulators.endpoints, { prefix: 'query-empty' })).lakeBucket;
  s3 = s3Client(aws);
  const put = (key: string, rows: Row[]) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: parquet(rows) }));
  // Pipeline 7: request "aaaa" was delivered twice (in two objects); pipeline 8 has one row.
  await put('webhooks/pipeline_id=7/dt=2026-11-19/0001.parquet', [
    { id: 'aaaaaaaaaaaaaaaaaaaa', ts: 1763510400.25, key: KEY, body: BODIES.a },
    { id: 'bbbbbbbbbbbbbbbbbbbb', ts: 1763510401.5, key: KEY, body: BODIES.b },
  ]);
  await put('webhooks/pipeline_id=7/dt=2026-11-19/0002.parquet', [
    { id: 'aaaaaaaaaaaaaaaaaaaa', ts: 1763510400.25, key: KEY, body: BODIES.a },
  ]);
  await put('webhooks/pipeline_id=8/dt=2026-11-20/0003.parquet', [
    { id: 'cccccccccccccccccccc', ts: 1763596800, key: KEY, body: BODIES.c },
  ]);
  // Not lake objects: ignored.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'quarantine/pipeline_id=7/dt=2026-11-19/x.jsonl', Body: '{}' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'webhooks/README.txt', Body: 'hi' }));
});

afterAll(async () => {
  s3?.destroy();
  await emulators?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('queryLake', () => {
  it('deduplicates webhooks on (pipeline_id, request id) and keeps every row in webhooks_raw', async () => {
    const cache = cacheDir();
    const result = await queryLake({
      s3,
      bucket,
      cacheDir: cache,
      sql: 'select (select count(*) from webhooks) as dedup, (select count(*) from webhooks_raw) as raw',
    });
    expect(result.rows).toEqual([{ dedup: 3, raw: 4 }]);
    expect(result.sync).toMatchObject({ objects: 3, downloaded: 3, removed: 0 });

    const raw = await queryLake({ s3, bucket, cacheDir: cache, raw: true, sql: 'select count(*) as n from webhooks' });
    expect(raw.rows).toEqual([{ n: 4 }]);
    expect(raw.sync.downloaded).toBe(0);
  });

  it('exposes the documented columns with exact values, __hl_* as null in objects written before them', async () => {
    const result = await queryLake({
      s3,
      bucket,
      cacheDir: cacheDir(),
      sql: 'select * from webhooks order by __kdd_request_id',
    });
    expect(result.columns).toEqual([
      { name: 'pipeline_id', type: 'BIGINT' },
      { name: 'dt', type: 'DATE' },
      { name: '__kdd_request_id', type: 'VARCHAR' },
      { name: '__kdd_request_unix_timestamp', type: 'DOUBLE' },
      { name: '__kdd_requester_key', type: 'VARCHAR' },
      { name: '__kdd_request_body', type: 'VARCHAR' },
      { name: '__hl_request_method', type: 'VARCHAR' },
      { name: '__hl_request_headers', type: 'VARCHAR' },
      { name: '__hl_request_query', type: 'VARCHAR' },
      { name: '__hl_provider_delivery_id', type: 'VARCHAR' },
    ]);
    // Every object here predates the __hl_* columns: they read as null.
    const none = { __hl_request_method: null, __hl_request_headers: null, __hl_request_query: null, __hl_provider_delivery_id: null };
    expect(result.rows).toEqual([
      {
        pipeline_id: 7,
        dt: '2026-11-19',
        __kdd_request_id: 'aaaaaaaaaaaaaaaaaaaa',
        __kdd_request_unix_timestamp: 1763510400.25,
        __kdd_requester_key: KEY,
        __kdd_request_body: BODIES.a,
        ...none,
      },
      {
        pipeline_id: 7,
        dt: '2026-11-19',
        __kdd_request_id: 'bbbbbbbbbbbbbbbbbbbb',
        __kdd_request_unix_timestamp: 1763510401.5,
        __kdd_requester_key: KEY,
        __kdd_request_body: BODIES.b,
        ...none,
      },
      {
        pipeline_id: 8,
        dt: '2026-11-20',
        __kdd_request_id: 'cccccccccccccccccccc',
        __kdd_request_unix_timestamp: 1763596800,
        __kdd_requester_key: KEY,
        __kdd_request_body: BODIES.c,
        ...none,
      },
    ]);
  });

  it('syncs and queries one pipeline only with pipelineId', async () => {
    const cache = cacheDir();
    const result = await queryLake({
      s3,
      bucket,
      cacheDir: cache,
      pipelineId: 8,
      sql: 'select pipeline_id, count(*) as n from webhooks_raw group by all',
    });
    expect(result.rows).toEqual([{ pipeline_id: 8, n: 1 }]);
    expect(result.sync).toMatchObject({ objects: 1, downloaded: 1 });
  });

  it('filters on dt as a DATE', async () => {
    const result = await queryLake({
      s3,
      bucket,
      cacheDir: cacheDir(),
      sql: "select count(*) as n from webhooks where dt = date '2026-11-20' and dt > '2026-11-19'",
    });
    expect(result.rows).toEqual([{ n: 1 }]);
  });

  it('converts big integers to numbers only when exact', async () => {
    const result = await queryLake({
      s3,
      bucket: emptyBucket,
      cacheDir: cacheDir(),
      sql: 'select 9007199254740991::BIGINT as safe, 9007199254740993::BIGINT as unsafe, 2.5 as dec',
    });
    expect(result.rows).toEqual([{ safe: 9007199254740991, unsafe: '9007199254740993', dec: 2.5 }]);
  });

  it('mirrors deletions and fetches changed objects', async () => {
    const cache = cacheDir();
    const key = 'webhooks/pipeline_id=9/dt=2026-11-20/0009.parquet';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: parquet([{ id: 'd'.repeat(20), ts: 1, key: KEY, body: 'one' }]) }));
    const count = async () =>
      (await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 9, sql: 'select string_agg(__kdd_request_body) as b from webhooks' }));
    expect((await count()).rows).toEqual([{ b: 'one' }]);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: parquet([{ id: 'd'.repeat(20), ts: 1, key: KEY, body: 'two!' }]) }));
    const changed = await count();
    expect(changed.rows).toEqual([{ b: 'two!' }]);
    expect(changed.sync.downloaded).toBe(1);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const gone = await count();
    expect(gone.rows).toEqual([{ b: null }]);
    expect(gone.sync).toMatchObject({ objects: 0, removed: 1 });
  });

  it('answers 0 over an empty lake, with every view and all columns present', async () => {
    const cache = cacheDir();
    const result = await queryLake({ s3, bucket: emptyBucket, cacheDir: cache, sql: 'select count(*) as n from webhooks' });
    expect(result.rows).toEqual([{ n: 0 }]);
    expect(result.sync).toMatchObject({ objects: 0, downloaded: 0, bytes: 0, removed: 0, partitions: 0 });
    const columns = await queryCache({ cacheDir: cache, sql: 'select * from webhooks_raw' });
    expect(columns.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'pipeline_id BIGINT',
      'dt DATE',
      '__kdd_request_id VARCHAR',
      '__kdd_request_unix_timestamp DOUBLE',
      '__kdd_requester_key VARCHAR',
      '__kdd_request_body VARCHAR',
      '__hl_request_method VARCHAR',
      '__hl_request_headers VARCHAR',
      '__hl_request_query VARCHAR',
      '__hl_provider_delivery_id VARCHAR',
    ]);
    expect(columns.rows).toEqual([]);
    expect((await queryCache({ cacheDir: cache, sql: 'select count(*) as n from webhooks_by_delivery' })).rows).toEqual([{ n: 0 }]);
  });

  it('resets a cache filled from another bucket', async () => {
    const cache = cacheDir();
    await syncLake({ s3, bucket, cacheDir: cache });
    const result = await queryLake({ s3, bucket: emptyBucket, cacheDir: cache, sql: 'select count(*) as n from webhooks_raw' });
    expect(result.rows).toEqual([{ n: 0 }]);
  });

  it('an object written before the __hl_* columns and one written with them query together, by column name', async () => {
    const cache = cacheDir();
    const headers = '{"content-type":"application/json","authorization":"[redacted]","x-github-event":"push"}';
    const current = encodeWebhookRows([
      {
        __kdd_request_id: 'f'.repeat(20),
        __kdd_request_unix_timestamp: 1763596801.5,
        __kdd_requester_key: KEY,
        __kdd_request_body: '{"ref":"main"}',
        __hl_request_method: 'POST',
        __hl_request_headers: headers,
        __hl_request_query: '{"source":"gh"}',
        __hl_provider_delivery_id: 'gh-delivery-1',
      },
    ]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'webhooks/pipeline_id=10/dt=2026-11-20/old.parquet', Body: parquet([{ id: 'e'.repeat(20), ts: 1763596800, key: KEY, body: '{}' }]) }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'webhooks/pipeline_id=10/dt=2026-11-20/new.parquet', Body: current }));
    const result = await queryLake({
      s3,
      bucket,
      cacheDir: cache,
      pipelineId: 10,
      sql:
        "select __kdd_request_id as id, __hl_request_method as method, json_extract_string(__hl_request_headers, '$.x-github-event') as event, " +
        "json_extract_string(__hl_request_query, '$.source') as source, __hl_request_headers as headers, __hl_provider_delivery_id as delivery from webhooks order by id",
    });
    expect(result.rows).toEqual([
      { id: 'e'.repeat(20), method: null, event: null, source: null, headers: null, delivery: null },
      { id: 'f'.repeat(20), method: 'POST', event: 'push', source: 'gh', headers, delivery: 'gh-delivery-1' },
    ]);
  });

  it('mirrors only the days a query can read, and of a large compacted object only the column chunks it reads', async () => {
    const day = (dt: string) => Date.parse(`${dt}T10:00:00Z`) / 1000;
    const rows = (dt: string, count: number, bodyBytes: number) =>
      Array.from({ length: count }, (_, i) => ({
        __kdd_request_id: `${dt.replaceAll('-', '')}${String(i).padStart(12, '0')}`,
        __kdd_request_unix_timestamp: day(dt) + i,
        __kdd_requester_key: KEY,
        __kdd_request_body: JSON.stringify({ i, noise: randomBytes(bodyBytes).toString('base64') }),
        __hl_request_method: 'POST',
        __hl_request_headers: '{}',
        __hl_request_query: '{}',
        __hl_provider_delivery_id: null,
      }));
    const hourKey = (dt: string, batch: ReturnType<typeof rows>) => compactedObjectKey({ pipelineId: 11, dt }, batch.map((row) => ({ id: row.__kdd_request_id, ts: row.__kdd_request_unix_timestamp })));
    // Random base64: ZSTD takes a quarter off it.
    const big = rows('2026-11-21', 2000, 1800);
    const bigBytes = encodeWebhookRows(big);
    expect(bigBytes.length).toBeGreaterThan(3 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: hourKey('2026-11-21', big), Body: bigBytes }));
    for (const dt of ['2026-11-20', '2026-11-22']) {
      const small = rows(dt, 10, 100);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: hourKey(dt, small), Body: encodeWebhookRows(small) }));
    }
    const cache = cacheDir();
    const count = await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 11, sql: "select count(*) as n, max(__kdd_request_unix_timestamp) > 0 as t from webhooks where dt = '2026-11-21'" });
    expect(count.rows).toEqual([{ n: 2000, t: true }]);
    expect(count.sync).toMatchObject({ partitions: 1, partitionsInScope: 3, objects: 1, downloaded: 1, columns: ['__kdd_request_id', '__kdd_request_unix_timestamp'] });
    // The footer and two small columns of a 3 MiB object; the bodies stay in the bucket.
    expect(count.sync.bytes).toBeLessThan(bigBytes.length / 10);
    expect(count.sync.heldBytes).toBe(count.sync.bytes);
    const bodies = await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 11, sql: "select sum(length(__kdd_request_body)) as chars from webhooks where dt >= '2026-11-21'" });
    expect(bodies.rows).toEqual([{ chars: big.reduce((sum, row) => sum + row.__kdd_request_body.length, 0) + 10 * rows('2026-11-22', 1, 100)[0]!.__kdd_request_body.length }]);
    expect(bodies.sync).toMatchObject({ partitions: 2, downloaded: 2 });
    // The bound: a query that needs more than the mirror may hold fails before downloading anything.
    await expect(queryLake({ s3, bucket, cacheDir: cacheDir(), pipelineId: 11, limitBytes: 1024 * 1024, sql: 'select * from webhooks' })).rejects.toThrow(
      /the query reads 3 day partitions of the lake \(\d+ MiB in the bucket, \d+ MiB to hold on disk\), over the 1 MiB the lake mirror may hold/,
    );
    const narrow = await queryLake({ s3, bucket, cacheDir: cacheDir(), pipelineId: 11, limitBytes: 1024 * 1024, sql: "select count(*) as n from webhooks where dt = '2026-11-22'" });
    expect(narrow.rows).toEqual([{ n: 10 }]);
  });

  it('while a compacted hour and the objects it replaced both exist, every request is read once: the manifest says which to skip', async () => {
    const dt = '2026-11-23';
    const at = (second: number) => Date.parse(`${dt}T10:00:00Z`) / 1000 + second;
    const rowOf = (id: string, second: number) => ({
      __kdd_request_id: id.padEnd(20, 'x'),
      __kdd_request_unix_timestamp: at(second),
      __kdd_requester_key: KEY,
      __kdd_request_body: `{"id":"${id}"}`,
      __hl_request_method: 'POST',
      __hl_request_headers: '{}',
      __hl_request_query: '{}',
      __hl_provider_delivery_id: null,
    });
    const partition = { pipelineId: 12, dt };
    const refs = (rows: ReturnType<typeof rowOf>[]) => rows.map((row) => ({ id: row.__kdd_request_id, ts: row.__kdd_request_unix_timestamp }));
    const batches = [[rowOf('a', 1), rowOf('b', 2)], [rowOf('c', 3)], [rowOf('d', 4)]];
    const inputs = batches.map((rows) => ({ key: webhooksObjectKey(partition, refs(rows)), rows }));
    for (const input of inputs) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: input.key, Body: encodeWebhookRows(input.rows) }));
    const all = batches.flat();
    const output = compactedObjectKey(partition, refs(all));
    const manifest = { v: 1, pipelineId: 12, dt, hour: 10, output: { key: output, bytes: 1, rows: all.length }, inputs: inputs.map((input) => ({ key: input.key, bytes: 1 })), compactedAtMs: 0 };
    // The manifest first, as a pass writes it: until its output exists, the inputs are what is read.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: manifestKey(manifest), Body: JSON.stringify(manifest) }));
    const sql = 'select (select count(*) from webhooks) as rows, (select count(*) from webhooks_raw) as raw';
    const cache = cacheDir();
    const before = await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 12, sql });
    expect(before.rows).toEqual([{ rows: 4, raw: 4 }]);
    expect(before.sync).toMatchObject({ objects: 3, superseded: 0 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: output, Body: encodeWebhookRows(all) }));
    const during = await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 12, sql });
    expect(during.rows).toEqual([{ rows: 4, raw: 4 }]);
    expect(during.sync).toMatchObject({ objects: 1, superseded: 3, removed: 3 });
    // A late copy of a compacted request, and a new one: the copy is read once through webhooks.
    const late = [rowOf('b', 2), rowOf('e', 5)];
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: webhooksObjectKey(partition, refs(late)), Body: encodeWebhookRows(late) }));
    const after = await queryLake({ s3, bucket, cacheDir: cache, pipelineId: 12, sql });
    expect(after.rows).toEqual([{ rows: 5, raw: 6 }]);
  });

  it('reports SQL errors', async () => {
    await expect(queryLake({ s3, bucket: emptyBucket, cacheDir: cacheDir(), sql: 'selec 1' })).rejects.toThrow(/syntax error/);
  });
});
