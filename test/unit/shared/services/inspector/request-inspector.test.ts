// The request inspector over an in-memory lake: what it lists and reads per call stays bounded
// whatever the lake holds, and an id search reads only the objects whose time range holds the
// id's second.
import { randomBytes } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { PARQUET_TYPES, WEBHOOK_COLUMNS } from '../../../../../shared/domain/lake/columns.ts';
import { compactedObjectKey, encodeQuarantineRows, encodeWebhookRows, partitionOf, quarantineObjectKey, webhookRowOf, webhooksObjectKey } from '../../../../../shared/domain/lake/objects.ts';
import type { IngestMessage } from '../../../../../shared/domain/ingest/message.ts';
import type { LakeObjectInfo, LakeReader } from '../../../../../shared/ports/inspector.ts';
import { createRequestInspector, MAX_OBJECTS_READ, MAX_SEARCH_CALLS } from '../../../../../shared/services/inspector/request-inspector.ts';
import { newRequestId } from '../../../../../shared/domain/credentials.ts';

const NOW_MS = Date.parse('2026-11-30T12:00:00.000Z');

function memoryLake() {
  const objects = new Map<string, { body: Uint8Array; lastModifiedMs: number }>();
  const calls = { list: 0, read: 0, bytes: 0 };
  const reader: LakeReader = {
    async list(prefix, options) {
      calls.list++;
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix)).sort();
      const after = options.continuation ?? options.startAfter;
      const rest = after === undefined ? keys : keys.filter((key) => key > after);
      const page = rest.slice(0, options.maxKeys);
      const infos: LakeObjectInfo[] = page.map((key) => ({ key, size: objects.get(key)!.body.length, lastModifiedMs: objects.get(key)!.lastModifiedMs }));
      return { objects: infos, continuation: rest.length > page.length ? page.at(-1) : undefined };
    },
    async read(key, range) {
      calls.read++;
      const body = objects.get(key)!.body;
      const slice = range === undefined ? body : body.subarray(range.start, range.end);
      calls.bytes += slice.length;
      return slice;
    },
  };
  return { objects, calls, reader };
}

function message(tsSeconds: number, body = '{"n":1}'): IngestMessage {
  return {
    v: 1,
    id: newRequestId(tsSeconds),
    ts: tsSeconds,
    pipelineId: 7,
    key: '11111111-2222-4333-8444-555555555555',
    tokenSha256: '0'.repeat(64),
    format: 'json',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    query: {},
    body,
  };
}

function land(lake: ReturnType<typeof memoryLake>, messages: IngestMessage[], lastModifiedMs: number): string {
  const key = webhooksObjectKey(partitionOf(7, messages[0]!.ts), messages);
  lake.objects.set(key, { body: encodeWebhookRows(messages.map((m) => webhookRowOf(m, m.body!))), lastModifiedMs });
  return key;
}

const inspectorOver = (lake: ReturnType<typeof memoryLake>) =>
  createRequestInspector({ lake: lake.reader, landed: { landedCounts: async () => [] }, nowMs: () => NOW_MS });

describe('request inspector', () => {
  it('a flood of new objects: one poll reads at most 8 of them, the newest, and the cursor moves past the rest', async () => {
    const lake = memoryLake();
    for (let i = 0; i < 40; i++) land(lake, [message(NOW_MS / 1000 - 100 + i)], NOW_MS - 100_000 + i * 1000);
    const inspector = inspectorOver(lake);
    const first = await inspector.recent(7, undefined, 100);
    expect(lake.calls.read).toBe(MAX_OBJECTS_READ);
    expect(first.skippedObjects).toBe(40 - MAX_OBJECTS_READ);
    expect(first.requests).toHaveLength(MAX_OBJECTS_READ);
    expect(first.requests[0]!.ts).toBe(NOW_MS / 1000 - 100 + 39);
    lake.calls.read = 0;
    const again = await inspector.recent(7, first.cursor, 100);
    expect(again.requests).toEqual([]);
    expect(lake.calls.read).toBe(0);
    const later = message(NOW_MS / 1000 - 1);
    land(lake, [later], NOW_MS);
    const next = await inspector.recent(7, again.cursor, 100);
    expect(next.requests.map((request) => request.id)).toEqual([later.id]);
  });

  it('lists only the last minutes of the day partition (StartAfter), not the whole day', async () => {
    const lake = memoryLake();
    for (let i = 0; i < 50; i++) land(lake, [message(NOW_MS / 1000 - 3 * 3600 - i)], NOW_MS - 3 * 3600_000);
    const recent = land(lake, [message(NOW_MS / 1000 - 5)], NOW_MS - 4000);
    const answer = await inspectorOver(lake).recent(7, undefined, 100);
    expect(answer.requests).toHaveLength(1);
    expect(lake.calls.read).toBe(1);
    expect(recent).toMatch(/\/115955-115955-/);
  });

  it('finds a request by id reading only the objects whose time range holds its second, rejected ones from the quarantine', async () => {
    const lake = memoryLake();
    const second = NOW_MS / 1000 - 600;
    // Many objects of other seconds of the hour before, one holding the id, one after it.
    for (let i = 1; i <= 30; i++) land(lake, [message(second - i * 60)], NOW_MS);
    const wanted = message(second, '{"wanted":true}');
    land(lake, [message(second - 2), wanted, message(second + 3)], NOW_MS);
    land(lake, [message(second + 30)], NOW_MS);
    const refused = message(second);
    const quarantineKey = quarantineObjectKey(partitionOf(7, second), [refused]);
    lake.objects.set(quarantineKey, {
      body: encodeQuarantineRows([{ id: refused.id, ts: refused.ts, key: refused.key, pipelineId: 7, reason: 'wrong_token', format: 'json', bodyBytes: 9, bodyPrefix: '{"x":"y"}', headers: {} }]),
      lastModifiedMs: NOW_MS,
    });

    const inspector = inspectorOver(lake);
    const found = await inspector.find(7, wanted.id);
    expect(found).toMatchObject({ id: wanted.id, status: 'landed', body: '{"wanted":true}', bodyTruncated: false, contentType: 'application/json' });
    expect(lake.calls.read).toBe(1);
    lake.calls.read = 0;
    expect(await inspector.find(7, refused.id)).toMatchObject({ status: 'rejected', reason: 'wrong_token', body: '{"x":"y"}' });
    expect(lake.calls.read).toBe(2);
    expect(await inspector.find(7, newRequestId(second + 5))).toBeUndefined();
    expect(await inspector.find(8, wanted.id)).toBeUndefined();
  });

  it('finds any id of an hour of thousands of small objects (the first, one in the middle, the last), within its bound on calls', async () => {
    const lake = memoryLake();
    const hourStart = Date.parse('2026-11-30T10:00:00.000Z') / 1000;
    const messages: IngestMessage[] = [];
    // 4,000 objects of one request each across the hour: more than 3 list pages.
    for (let i = 0; i < 4000; i++) {
      const m = message(hourStart + i * 0.9, `{"i":${i}}`);
      messages.push(m);
      land(lake, [m], NOW_MS - 7200_000);
    }
    const inspector = inspectorOver(lake);
    for (const index of [0, 2000, 3999]) {
      lake.calls.list = 0;
      lake.calls.read = 0;
      const found = await inspector.find(7, messages[index]!.id);
      expect(found, `request ${index}`).toMatchObject({ id: messages[index]!.id, body: `{"i":${index}}` });
      expect(lake.calls.list + lake.calls.read).toBeLessThanOrEqual(MAX_SEARCH_CALLS);
    }
  });

  it('reads a compacted hour (ZSTD, row groups with statistics) by ranges: the footer, the id column of the one row group that can hold the id, then that row', async () => {
    const lake = memoryLake();
    const hourStart = Date.parse('2026-11-30T09:00:00.000Z') / 1000;
    const messages = Array.from({ length: 3000 }, (_, i) => message(hourStart + i, JSON.stringify({ i, noise: randomBytes(900).toString('base64') })));
    const rows = messages.map((m) => webhookRowOf(m, m.body!));
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: WEBHOOK_COLUMNS.map((column) => ({ name: column.name, type: PARQUET_TYPES[column.type], nullable: column.nullable, data: rows.map((row) => row[column.name]) })),
        codec: 'ZSTD',
        compressors: { ZSTD: (input) => new Uint8Array(zstdCompressSync(input)) },
        rowGroupSize: 500,
        statisticsTruncateLength: 32,
      }),
    );
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    const key = compactedObjectKey(partitionOf(7, hourStart), messages);
    lake.objects.set(key, { body: bytes, lastModifiedMs: NOW_MS - 3600_000 });
    const inspector = inspectorOver(lake);
    for (const index of [0, 1777, 2999]) {
      lake.calls.bytes = 0;
      lake.calls.read = 0;
      const found = await inspector.find(7, messages[index]!.id);
      expect(found, `request ${index}`).toMatchObject({ id: messages[index]!.id, status: 'landed', body: messages[index]!.body, bodyTruncated: false, method: 'POST' });
      expect(lake.calls.bytes).toBeLessThan(bytes.length / 3);
    }
    // The live view does not show a compacted hour as new requests.
    expect((await inspector.recent(7, undefined, 100)).requests).toEqual([]);
  });
});
