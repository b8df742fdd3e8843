// The refresh over an in-memory lake of real Parquet objects (as the processor writes them): what
// a run reads (bounded), where the next one starts (objects stored in the same second are not
// lost), concurrent refreshes, the view's publication and the schedule's order and deadline.
import { describe, expect, it } from 'vitest';
import { memorySchemaStore } from '../../../../../shared/adapters/memory/schema-store.ts';
import { encodeWebhookRows, type WebhookRow } from '../../../../../shared/domain/lake/objects.ts';
import type { PipelineSchema } from '../../../../../shared/domain/lake/schema.ts';
import { VIEW_SQL_GENERATION } from '../../../../../shared/domain/lake/schema-views.ts';
import type { LakeObjectInfo } from '../../../../../shared/ports/inspector.ts';
import type { LakeSampleReader, ViewCatalog } from '../../../../../shared/ports/schema.ts';
import { createSchemaService, DEFAULT_SAMPLE_BOUNDS } from '../../../../../shared/services/schema/refresh.ts';

const DAY = '2027-01-15';
const NOW = Date.parse(`${DAY}T12:00:00Z`);

function memoryLake() {
  const objects = new Map<string, { bytes: Uint8Array; lastModifiedMs: number }>();
  const reads = { gets: 0, bytes: 0, lists: 0, dayLists: 0 };
  let serial = 0;
  const lake: LakeSampleReader = {
    async list(prefix, options) {
      reads.lists++;
      const keys = [...objects.keys()].filter((key) => key.startsWith(prefix) && (options.startAfter === undefined || key > options.startAfter)).sort();
      const start = options.continuation === undefined ? 0 : Number(options.continuation);
      const page = keys.slice(start, start + options.maxKeys);
      return {
        objects: page.map((key): LakeObjectInfo => ({ key, size: objects.get(key)!.bytes.byteLength, lastModifiedMs: objects.get(key)!.lastModifiedMs })),
        continuation: start + options.maxKeys < keys.length ? String(start + options.maxKeys) : undefined,
      };
    },
    async read(key, range) {
      const bytes = objects.get(key)!.bytes;
      const slice = range === undefined ? bytes : bytes.slice(range.start, range.end);
      reads.gets++;
      reads.bytes += slice.byteLength;
      return slice;
    },
    async days(pipelineId, fromDt) {
      reads.dayLists++;
      const days = new Set<string>();
      for (const key of objects.keys()) {
        const match = new RegExp(`^webhooks/pipeline_id=${pipelineId}/dt=([0-9-]+)/`).exec(key);
        if (match !== null && (fromDt === undefined || match[1]! >= fromDt)) days.add(match[1]!);
      }
      return [...days].sort();
    },
  };
  /** One object of rows whose bodies are `bodies`, modified at `modifiedMs`, named (as the processor names it) from its first request, `lagMs` earlier. */
  const put = (pipelineId: number, bodies: unknown[], modifiedMs: number, lagMs = 2_000, tag = '') => {
    const ts = (modifiedMs - lagMs) / 1000;
    const iso = new Date(ts * 1000).toISOString();
    const dt = iso.slice(0, 10);
    const hhmmss = iso.slice(11, 19).replaceAll(':', '');
    const rows: WebhookRow[] = bodies.map((body, index) => ({
      __kdd_request_id: `r${String(serial++).padStart(19, 'a')}`,
      __kdd_request_unix_timestamp: ts + index / 1000,
      __kdd_requester_key: 'k',
      __kdd_request_body: JSON.stringify(body),
      __hl_request_method: 'POST',
      __hl_request_headers: '{"content-type":"application/json"}',
      __hl_request_query: null,
      __hl_provider_delivery_id: null,
    }));
    const key = `webhooks/pipeline_id=${pipelineId}/dt=${dt}/${hhmmss}-${hhmmss}-${(tag + String(serial)).padStart(32, '0')}.parquet`;
    objects.set(key, { bytes: encodeWebhookRows(rows), lastModifiedMs: modifiedMs });
    return key;
  };
  return { lake, put, reads, objects };
}

function service(lake: LakeSampleReader, options: { catalog?: ViewCatalog; nowMs?: () => number; pipelines?: number[]; bounds?: Partial<typeof DEFAULT_SAMPLE_BOUNDS> } = {}) {
  const store = memorySchemaStore();
  const ids = options.pipelines ?? [1];
  const schemas = createSchemaService({
    store,
    lake,
    pipelines: { listPipelines: async () => ({ items: ids.map((id) => ({ id, name: `p${id}`, createdAt: '2027-01-01T00:00:00Z' })) }) },
    catalog: options.catalog,
    nowMs: options.nowMs ?? (() => NOW),
    bounds: options.bounds,
  });
  return { schemas, store };
}

const names = (schema: PipelineSchema) => schema.columns.map((column) => column.name);

describe('schema refresh', () => {
  it('reads only what was stored since the last refresh; an object stored in the same second as the cursor is not lost', async () => {
    const { lake, put, reads } = memoryLake();
    put(1, [{ a: 1 }], NOW - 60_000, 2_000, 'f');
    const { schemas } = service(lake);
    expect(names(await schemas.refresh(1))).toEqual(['a']);

    // Stored in the same second as the first object, under a name that sorts before it (an
    // earlier first request, a smaller hash): it is still new, and so is a later one.
    put(1, [{ b: 1 }], NOW - 60_000, 3_000, '0');
    put(1, [{ c: 1 }], NOW - 30_000);
    const second = await schemas.refresh(1);
    expect(names(second)).toEqual(['a', 'b', 'c']);
    expect(second.rows).toBe(3);

    const gets = reads.gets;
    const third = await schemas.refresh(1);
    expect(third.rows).toBe(3);
    expect(reads.gets).toBe(gets); // nothing new: nothing read
    expect(reads.dayLists).toBe(1); // only the first refresh listed the days
  });

  it('bounded: at most the objects, rows and bytes of its bounds, spread over what is new and the newest always in', async () => {
    const { lake, put, reads } = memoryLake();
    for (let i = 0; i < 100; i++) put(1, Array.from({ length: 50 }, (_, j) => ({ [`f${i}`]: j })), NOW - 100_000 + i * 1000);
    const { schemas } = service(lake, { bounds: { objects: 5, rowsPerObject: 10, rows: 40 } });
    const schema = await schemas.refresh(1);
    expect(schema.rows).toBe(40);
    expect(reads.gets).toBeLessThanOrEqual(5);
    expect(names(schema)).toContain('f99');
    expect(schema.columns).toHaveLength(4);

    const tiny = memoryLake();
    // Random text: Parquet's compression cannot shrink it below the budget.
    for (let i = 0; i < 10; i++) tiny.put(1, [{ x: Array.from({ length: 5000 }, () => String.fromCharCode(33 + Math.floor(Math.random() * 90))).join('') }], NOW - 10_000 + i * 100);
    const small = service(tiny.lake, { bounds: { bytes: 12_000 } });
    const bounded = await small.schemas.refresh(1);
    expect(tiny.reads.bytes).toBeLessThanOrEqual(12_000);
    expect(bounded.rows).toBeGreaterThan(0);
    expect(bounded.rows).toBeLessThan(10);
  });

  it('the first refresh samples the newest days; the next day is found after midnight', async () => {
    const { lake, put } = memoryLake();
    put(1, [{ old: 1 }], Date.parse('2027-01-02T23:00:05Z'));
    put(1, [{ recent: 1 }], Date.parse('2027-01-10T23:00:05Z'));
    put(1, [{ newer: 1 }], Date.parse('2027-01-14T08:00:05Z'));
    let now = Date.parse('2027-01-14T09:00:00Z');
    const { schemas } = service(lake, { nowMs: () => now });
    expect(names(await schemas.refresh(1)).sort()).toEqual(['newer', 'recent']);
    put(1, [{ tomorrow: true }], Date.parse('2027-01-15T00:01:05Z'));
    now = Date.parse('2027-01-15T00:05:00Z');
    expect(names(await schemas.refresh(1)).slice(-1)).toEqual(['tomorrow']);
  });

  it('publishes the view when a column changes, retries a failed publication, never publishes an unchanged schema twice', async () => {
    const { lake, put } = memoryLake();
    const published: number[] = [];
    let fail = true;
    const catalog: ViewCatalog = {
      async publish(schema) {
        if (fail) throw new Error('glue is down');
        published.push(schema.version);
      },
    };
    put(1, [{ a: 1 }], NOW - 10_000);
    const { schemas, store } = service(lake, { catalog });
    await expect(schemas.refresh(1)).rejects.toThrow('glue is down');
    expect((await store.get(1))!.schema.version).toBe(1); // stored all the same
    fail = false;
    await schemas.refresh(1); // nothing new, but the view is behind: published now
    await schemas.refresh(1);
    expect(published).toEqual([1]);
    put(1, [{ a: 'text' }], NOW - 5_000);
    await schemas.refresh(1);
    expect(published).toEqual([1, 2]);
    expect((await store.get(1))!.published).toEqual({ version: 2, generation: VIEW_SQL_GENERATION });
  });

  it('rebuilds a published view whose SQL came from an older generation, once', async () => {
    const { lake, put } = memoryLake();
    const published: number[] = [];
    const catalog: ViewCatalog = {
      async publish(schema) {
        published.push(schema.version);
      },
    };
    put(1, [{ a: 1 }], NOW - 10_000);
    const { schemas, store } = service(lake, { catalog });
    await schemas.refresh(1);
    expect(published).toEqual([1]);
    // As a deployment before this generation left it: the same schema version, older SQL.
    await store.markPublished(1, { version: 1, generation: VIEW_SQL_GENERATION - 1 });
    await schemas.refresh(1);
    await schemas.refresh(1);
    expect(published).toEqual([1, 1]);
    expect((await store.get(1))!.published).toEqual({ version: 1, generation: VIEW_SQL_GENERATION });
  });

  it('two refreshes at once: the first write stands, the second answers it', async () => {
    const { lake, put } = memoryLake();
    put(1, [{ a: 1 }], NOW - 10_000);
    const { schemas, store } = service(lake);
    const [one, two] = await Promise.all([schemas.refresh(1), schemas.refresh(1)]);
    expect(one.rows + two.rows).toBe(2);
    expect((await store.get(1))!.schema.rows).toBe(1);
    expect((await store.get(1))!.revision).toBe(1);
  });

  it('the schedule: every pipeline, never refreshed first, then the longest ago; stops starting at its deadline', async () => {
    const { lake, put } = memoryLake();
    for (const id of [1, 2, 3]) put(id, [{ [`p${id}`]: id }], NOW - 10_000);
    const clock = { now: NOW };
    const { schemas, store } = service(lake, { pipelines: [1, 2, 3, 4], nowMs: () => clock.now });
    await schemas.refresh(2);
    const all = await schemas.refreshAll(NOW + 60_000);
    expect(all).toEqual({ pipelines: 4, refreshed: 4, changed: 2, failed: 0, deferred: 0 });
    expect((await store.get(3))!.schema.columns.map((c) => c.name)).toEqual(['p3']);
    expect(await store.get(4)).toBeUndefined(); // no webhooks: nothing stored

    const late = await schemas.refreshAll(clock.now + 1_000); // less than the reserve left
    expect(late).toMatchObject({ refreshed: 0, deferred: 4 });
  });
});
