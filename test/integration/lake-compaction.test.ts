// Hourly compaction through the local stack: many small objects landed by the processor (batches
// of 4), `hooklake lake compact --older-than 0s --grace 0s`, then every reader: the views (each
// request once, in webhooks and webhooks_raw), the compacted objects themselves (ZSTD, sorted,
// statistics), the id search (first and last request of the hour, with their bodies), a
// webhook_received objectKey after its object is gone, and a sync whose next run sends nothing.
// Then compaction racing live ingest: nothing lost, nothing doubled.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactedHourPrefix, isCompactedObject } from '../../shared/domain/lake/objects.ts';
import { PARQUET_DECOMPRESSORS } from '../../shared/domain/lake/parquet-codecs.ts';
import { runCli } from '../support/cli-harness.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';

const MIRROR_LIMIT = 2 * 1024 * 1024;
let stack: TestStack;
let receiver: Receiver;
let cliDir: string;

beforeAll(async () => {
  // Batches of at most 4, no batching window: one small object per few requests, as on AWS at ~12/s.
  stack = await startTestStack({
    batchSize: 4,
    batchWindowMs: 0,
    syncTickIntervalMs: 0,
    compactionIntervalMs: 0,
    schemaRefreshIntervalMs: 0,
    // A small lake mirror for the syncs, to show its bound.
    lakeSettings: { mirror: { limitBytes: MIRROR_LIMIT, downloadConcurrency: 4 } },
  });
  receiver = await startReceiver();
  cliDir = mkdtempSync(join(tmpdir(), 'hooklake-compact-cli-'));
  writeFileSync(join(cliDir, 'stack.json'), JSON.stringify(stack.info));
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
  if (cliDir !== undefined) rmSync(cliDir, { recursive: true, force: true });
});

const bucket = () => stack.info.resources.lakeBucket;

async function keysUnder(prefix: string): Promise<{ key: string; size: number }[]> {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) keys.push({ key: object.Key!, size: object.Size! });
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

async function objectBytes(key: string): Promise<ArrayBuffer> {
  const bytes = await (await stack.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }))).Body!.transformToByteArray();
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Posts `count` JSON webhooks, 8 at a time; returns their ids and bodies. */
async function sendWebhooks(url: string, count: number, tag: string): Promise<Map<string, string>> {
  const sent = new Map<string, string>();
  for (let start = 0; start < count; start += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, count - start) }, async (_, offset) => {
        const body = JSON.stringify({ tag, n: start + offset, text: 'olá ✓ '.repeat(20) });
        const reply = await postJson(url, body);
        expect(reply.status).toBe(200);
        sent.set((reply.body as { data: { __kdd_request_id: string } }).data.__kdd_request_id, body);
      }),
    );
  }
  return sent;
}

const counts = async (pipelineId: number) =>
  (
    await stack.query(
      `select (select count(*)::int from webhooks where pipeline_id = ${pipelineId}) as rows, ` +
        `(select count(distinct __kdd_request_id)::int from webhooks where pipeline_id = ${pipelineId}) as ids, ` +
        `(select count(*)::int from webhooks_raw where pipeline_id = ${pipelineId}) as raw`,
    )
  )[0]! as { rows: number; ids: number; raw: number };

const compact = async (...args: string[]) => {
  const run = await runCli(['lake', 'compact', ...args], { cwd: cliDir });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.json as Record<string, number>;
};

describe('lake compaction', () => {
  it('many small objects become one object per hour: every request once, statistics, the id search, a moved objectKey and a sync that sends nothing new', async () => {
    const pipelineId = await stack.createPipeline('compact');
    const { key, token } = await stack.createToken();
    const sent = await sendWebhooks(stack.webhookUrl(pipelineId, key, token), 80, 'a');
    await eventually(async () => ((await counts(pipelineId)).rows === 80 ? true : undefined), 30_000, '80 rows landed');
    const dir = `webhooks/pipeline_id=${pipelineId}/`;
    const landed = await keysUnder(dir);
    expect(landed.length).toBeGreaterThanOrEqual(20);
    // SQS delivers at least once: the same batch processed twice lands a second object of the same rows.
    const copied = landed[0]!.key.replace(/[0-9a-f]\.parquet$/, (last) => `${last === '0.parquet' ? '1' : '0'}.parquet`);
    await stack.s3.send(new CopyObjectCommand({ Bucket: bucket(), Key: copied, CopySource: `${bucket()}/${landed[0]!.key}` }));
    const copiedRows = (await parquetReadObjects({ file: await objectBytes(copied), columns: ['__kdd_request_id', '__kdd_request_unix_timestamp'] })) as { __kdd_request_id: string; __kdd_request_unix_timestamp: number }[];
    const before = await counts(pipelineId);
    expect(before).toEqual({ rows: 80, ids: 80, raw: 80 + copiedRows.length });
    // The processor's own objects carry statistics on the request id and time.
    const processorMetadata = parquetMetadata(await objectBytes(landed[0]!.key));
    const statsOf = (metadata: ReturnType<typeof parquetMetadata>, column: string) =>
      metadata.row_groups[0]!.columns.find((chunk) => chunk.meta_data!.path_in_schema[0] === column)!.meta_data!.statistics;
    expect(statsOf(processorMetadata, '__kdd_request_id')).toMatchObject({ min_value: expect.any(String), max_value: expect.any(String) });
    expect(statsOf(processorMetadata, '__kdd_request_unix_timestamp')).toMatchObject({ min_value: expect.any(Number), max_value: expect.any(Number) });

    // A sync over the pipeline, mirror mode: a row that vanished would be sent as a delete.
    const { sync } = await stack.syncs.createSync({
      name: 'across-compaction',
      sql: `select __kdd_request_id as id, cast(json_extract(__kdd_request_body, '$.n') as integer) as n from webhooks where pipeline_id = ${pipelineId}`,
      primaryKey: 'id',
      mode: 'mirror',
      webhookUrl: `${receiver.url}/sync`,
    });
    const first = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 30_000 });
    expect(first).toMatchObject({ status: 'succeeded', rows: 80, counts: { upsert: 80, delete: 0 } });
    const deliveredBefore = receiver.at('/sync').length;

    const hours = new Set([...(await stack.query(`select distinct date_part('hour', to_timestamp(__kdd_request_unix_timestamp)) as h from webhooks_raw where pipeline_id = ${pipelineId}`))].map((row) => row.h));
    const stats = await compact('--pipeline', String(pipelineId), '--older-than', '0s', '--grace', '0s');
    expect(stats).toMatchObject({ partitions: 1, hours: hours.size, objects_read: landed.length + 1, objects_written: hours.size, rows: 80, objects_removed: landed.length + 1, objects_skipped: 0 });
    expect(stats.bytes_after).toBeLessThan(stats.bytes_before!);

    // Only the compacted objects are left, and nothing to remove later.
    const left = await keysUnder(dir);
    expect(left.length).toBe(hours.size);
    expect(left.every((object) => isCompactedObject(object.key))).toBe(true);
    expect(await keysUnder(`compaction/pipeline_id=${pipelineId}/`)).toEqual([]);
    for (const object of left) {
      const file = await objectBytes(object.key);
      const metadata = parquetMetadata(file);
      expect(metadata.row_groups.every((group) => group.columns.every((chunk) => chunk.meta_data!.codec === 'ZSTD'))).toBe(true);
      for (const column of ['__kdd_request_id', '__kdd_request_unix_timestamp']) {
        const stats = statsOf(metadata, column)!;
        expect(stats.min_value ?? stats.min, column).not.toBeUndefined();
        expect(stats.max_value ?? stats.max, column).not.toBeUndefined();
      }
      const times = ((await parquetReadObjects({ file, columns: ['__kdd_request_unix_timestamp'], compressors: PARQUET_DECOMPRESSORS })) as { __kdd_request_unix_timestamp: number }[]).map((row) => row.__kdd_request_unix_timestamp);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    expect(await counts(pipelineId)).toEqual({ rows: 80, ids: 80, raw: 80 });
    // The typed tables' sampler reads the compacted hours (ZSTD) like any new object.
    expect(await stack.refreshSchemas()).toMatchObject({ failed: 0 });
    const schema = await stack.admin<{ columns: { name: string }[] }>('GET', `/v4/pipelines/${pipelineId}/schema`);
    expect(schema.body.columns.map((column) => column.name)).toEqual(expect.arrayContaining(['tag', 'n', 'text']));

    // A webhook_received event's objectKey is gone now: its row is in the compacted object of its hour.
    const moved = copiedRows[0]!;
    await expect(stack.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: landed[0]!.key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    const [hourObject, ...others] = await keysUnder(compactedHourPrefix(pipelineId, moved.__kdd_request_unix_timestamp));
    expect(others.filter((object) => isCompactedObject(object.key))).toEqual([]);
    const ids = (await parquetReadObjects({ file: await objectBytes(hourObject!.key), columns: ['__kdd_request_id'], compressors: PARQUET_DECOMPRESSORS })) as { __kdd_request_id: string }[];
    expect(ids.map((row) => row.__kdd_request_id)).toContain(moved.__kdd_request_id);
    const movedFound = await stack.admin<{ id: string; body: string; status: string }>('GET', `/v4/pipelines/${pipelineId}/requests/${moved.__kdd_request_id}`);
    expect(movedFound.status).toBe(200);
    expect(movedFound.body).toMatchObject({ id: moved.__kdd_request_id, status: 'landed', body: sent.get(moved.__kdd_request_id) });

    // The id search finds the first and the last request of the hour, bodies included.
    const ordered = await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId} order by __kdd_request_unix_timestamp`);
    for (const id of [String(ordered[0]!.id), String(ordered.at(-1)!.id)]) {
      const found = await stack.admin<{ id: string; body: string; status: string }>('GET', `/v4/pipelines/${pipelineId}/requests/${id}`);
      expect(found.status, id).toBe(200);
      expect(found.body).toMatchObject({ id, status: 'landed', body: sent.get(id) });
    }

    // The sync's next run: the same rows, nothing to send.
    const second = await stack.syncs.runSync(sync.id, { wait: true, timeoutMs: 30_000 });
    expect(second).toMatchObject({ status: 'succeeded', rows: 80, counts: { upsert: 0, delete: 0 } });
    expect(receiver.at('/sync').length).toBe(deliveredBefore);
  });

  it('compaction racing live ingest: nothing lost, nothing doubled in the views', async () => {
    const pipelineId = await stack.createPipeline('race');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    let sending = true;
    const sender = (async () => {
      const all = new Map<string, string>();
      for (let round = 0; round < 6; round++) {
        for (const [id, body] of await sendWebhooks(url, 16, `race${round}`)) all.set(id, body);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      sending = false;
      return all;
    })();
    let passes = 0;
    let racing = 0;
    while (sending || passes < 2) {
      const pass = await compact('--pipeline', String(pipelineId), '--older-than', '0s', '--grace', '0s');
      passes++;
      if (sending && pass.objects_written! > 0) racing++;
      const now = await counts(pipelineId);
      expect(now.rows).toBe(now.ids);
    }
    // Passes that compacted while requests were still landing (a later one folds the newer objects in).
    expect(racing).toBeGreaterThanOrEqual(2);
    const sent = await sender;
    expect(sent.size).toBe(96);
    await eventually(async () => ((await counts(pipelineId)).rows === 96 ? true : undefined), 30_000, 'every request once');
    await compact('--pipeline', String(pipelineId), '--older-than', '0s', '--grace', '0s');
    expect(await counts(pipelineId)).toEqual({ rows: 96, ids: 96, raw: 96 });
    const ids = (await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId}`)).map((row) => String(row.id));
    expect(new Set(ids)).toEqual(new Set(sent.keys()));
  });

  it('a sync reads only the days its query can touch, and one that needs more lake than its mirror may hold fails saying so, before the disk fills', async () => {
    const pipelineId = await stack.createPipeline('big-bodies');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    for (let i = 0; i < 4; i++) {
      const reply = await postJson(url, JSON.stringify({ i, noise: randomBytes(540 * 1024).toString('base64') }));
      expect(reply.status).toBe(200);
    }
    await eventually(async () => ((await counts(pipelineId)).rows === 4 ? true : undefined), 30_000, 'four large rows landed');
    const create = (name: string, where: string) =>
      stack.syncs.createSync({
        name,
        sql: `select __kdd_request_id as id, length(__kdd_request_body) as bytes from webhooks where pipeline_id = ${pipelineId}${where}`,
        primaryKey: 'id',
        mode: 'upsert',
        webhookUrl: `${receiver.url}/${name}`,
      });
    const everything = await create('everything', '');
    const failed = await stack.syncs.runSync(everything.sync.id, { wait: true, timeoutMs: 30_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^the query reads 1 day partition of the lake \(\d+ MiB in the bucket, \d+ MiB to hold on disk\), over the 2 MiB the lake mirror may hold \(HOOKLAKE_SYNC_MIRROR_LIMIT\): filter it on fewer days/);
    const oneOldDay = await create('one-old-day', " and dt = '2001-01-01'");
    expect(await stack.syncs.runSync(oneOldDay.sync.id, { wait: true, timeoutMs: 30_000 })).toMatchObject({ status: 'succeeded', rows: 0 });
  });
});
