// The compaction pass over an in-memory bucket and a merger that only records: the order of its
// writes (manifest, then output, then removals), what a rerun writes, the continuation when the
// invocation's time runs out, and the schedule's tick.
import { describe, expect, it } from 'vitest';
import { parseManifest, type HourGroup, type ListedObject } from '../../../../../shared/domain/lake/compaction.ts';
import type { LakeObjects, MergedHour } from '../../../../../shared/ports/lake.ts';
import { compactLake, compactPartition, createCompactionWorker, queueCompactions } from '../../../../../shared/services/lake/compaction.ts';

const at = (iso: string) => Date.parse(iso);

function memoryBucket() {
  const objects = new Map<string, { text: string; size: number; lastModifiedMs: number }>();
  const log: string[] = [];
  let now = 0;
  const lake: LakeObjects = {
    async list(prefix) {
      return [...objects.entries()]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, value]): ListedObject => ({ key, size: value.size, lastModifiedMs: value.lastModifiedMs, etag: `"${value.text.length}"` }));
    },
    async listFolders(prefix) {
      const folders = new Set<string>();
      for (const key of objects.keys()) {
        if (!key.startsWith(prefix)) continue;
        const slash = key.indexOf('/', prefix.length);
        if (slash >= 0) folders.add(key.slice(0, slash + 1));
      }
      return [...folders].sort();
    },
    async readText(key) {
      return objects.get(key)?.text;
    },
    async writeText(key, text) {
      log.push(`put ${key}`);
      objects.set(key, { text, size: text.length, lastModifiedMs: now });
    },
    async delete(keys) {
      for (const key of keys) {
        log.push(`delete ${key}`);
        objects.delete(key);
      }
    },
  };
  const land = (key: string, lastModifiedMs: number) => objects.set(key, { text: 'parquet', size: 1000, lastModifiedMs });
  return { lake, objects, log, land, setNow: (ms: number) => (now = ms) };
}

/** Merges by "reading" the inputs' names: each holds one request at its first second. */
function recordingMerger(bucket: ReturnType<typeof memoryBucket>) {
  const merged: HourGroup[] = [];
  return {
    merged,
    merger: {
      async merge(group: HourGroup): Promise<MergedHour> {
        merged.push(group);
        const requests = group.inputs.map((input, index) => ({ id: `id${index}`, ts: group.hourStartSeconds + index }));
        return {
          rows: requests.length,
          bytes: 500,
          requests,
          skipped: [],
          upload: async (key) => {
            bucket.log.push(`upload ${key}`);
            bucket.objects.set(key, { text: 'compacted', size: 500, lastModifiedMs: 0 });
          },
          discard: async () => undefined,
        };
      },
    },
  };
}

const dir = 'webhooks/pipeline_id=3/dt=2026-11-30/';
const hex = (n: number) => n.toString(16).padStart(32, '0');

describe('compaction pass', () => {
  it('writes the manifest, then the output, then removes exactly what it read (grace 0); a rerun finds nothing due', async () => {
    const bucket = memoryBucket();
    const { merger, merged } = recordingMerger(bucket);
    for (let i = 0; i < 5; i++) bucket.land(`${dir}1000${i}0-1000${i}1-${hex(i)}.parquet`, at('2026-11-30T10:01:00Z'));
    bucket.land(`${dir}120000-120001-${hex(9)}.parquet`, at('2026-11-30T12:00:02Z'));
    bucket.land('webhooks/pipeline_id=3/dt=2026-11-30/notes.txt', 0);
    const nowMs = at('2026-11-30T12:10:00Z');
    bucket.setNow(nowMs);
    const deps = { lake: bucket.lake, merger, clock: { nowMs: () => nowMs } };
    const stats = await compactPartition(deps, { pipelineId: 3, dt: '2026-11-30' }, { selection: { kind: 'settled', settleMs: 15 * 60_000 }, graceMs: 0 });
    expect(merged.map((group) => group.hour)).toEqual([10]);
    expect(stats).toMatchObject({ hours: 1, objectsRead: 5, objectsWritten: 1, rows: 5, bytesBefore: 5000, bytesAfter: 500, objectsRemoved: 5, done: true });
    const manifestPut = bucket.log.findIndex((line) => line.startsWith('put compaction/pipeline_id=3/dt=2026-11-30/'));
    const upload = bucket.log.findIndex((line) => line.startsWith('upload '));
    const firstDelete = bucket.log.findIndex((line) => line.startsWith('delete webhooks/'));
    expect(manifestPut).toBeGreaterThanOrEqual(0);
    expect(manifestPut).toBeLessThan(upload);
    expect(upload).toBeLessThan(firstDelete);
    const manifest = parseManifest(bucket.objects.get(bucket.log[manifestPut]!.slice(4))?.text ?? '');
    expect(manifest).toBeUndefined(); // dropped once its inputs were gone
    expect([...bucket.objects.keys()].filter((key) => key.startsWith('compaction/'))).toEqual([]);
    expect([...bucket.objects.keys()].sort()).toEqual([`${dir}100000-100004-${bucket.log[upload]!.split('-').pop()!}`.replace(/^upload /, ''), `${dir}120000-120001-${hex(9)}.parquet`, `${dir}notes.txt`].sort());

    bucket.log.length = 0;
    const again = await compactPartition(deps, { pipelineId: 3, dt: '2026-11-30' }, { selection: { kind: 'settled', settleMs: 15 * 60_000 }, graceMs: 0 });
    expect(again).toMatchObject({ hours: 0, objectsRemoved: 0 });
    expect(bucket.log).toEqual([]);
  });

  it('with a grace period the inputs stay, listed in the manifest, until a pass after it', async () => {
    const bucket = memoryBucket();
    const { merger } = recordingMerger(bucket);
    bucket.land(`${dir}100000-100001-${hex(1)}.parquet`, at('2026-11-30T10:00:02Z'));
    let nowMs = at('2026-11-30T11:20:00Z');
    const deps = { lake: bucket.lake, merger, clock: { nowMs: () => nowMs } };
    const options = { selection: { kind: 'settled', settleMs: 15 * 60_000 } as const, graceMs: 3_600_000 };
    expect(await compactPartition(deps, { pipelineId: 3, dt: '2026-11-30' }, options)).toMatchObject({ hours: 1, objectsRemoved: 0 });
    const manifests = [...bucket.objects.keys()].filter((key) => key.startsWith('compaction/'));
    expect(manifests).toHaveLength(1);
    expect(parseManifest(bucket.objects.get(manifests[0]!)!.text)!.inputs).toEqual([{ key: `${dir}100000-100001-${hex(1)}.parquet`, bytes: 1000 }]);
    expect(bucket.objects.has(`${dir}100000-100001-${hex(1)}.parquet`)).toBe(true);
    nowMs += 3_600_000;
    expect(await compactPartition(deps, { pipelineId: 3, dt: '2026-11-30' }, options)).toMatchObject({ hours: 0, objectsRemoved: 1 });
    expect([...bucket.objects.keys()].filter((key) => key.startsWith('compaction/') || key.endsWith(`${hex(1)}.parquet`))).toEqual([]);
  });

  it('stops starting hours when the invocation runs short and says so; the worker queues the partition again', async () => {
    const bucket = memoryBucket();
    const { merger, merged } = recordingMerger(bucket);
    for (const hour of ['01', '02', '03']) bucket.land(`${dir}${hour}0000-${hour}0001-${hex(Number(hour))}.parquet`, at(`2026-11-30T${hour}:00:02Z`));
    const nowMs = at('2026-11-30T12:00:00Z');
    const sent: unknown[] = [];
    let remaining = 200_000;
    const worker = createCompactionWorker({
      lake: bucket.lake,
      merger: { merge: async (group) => ((remaining -= 100_000), merger.merge(group)) },
      clock: { nowMs: () => nowMs },
      queue: { send: async (partitions) => void sent.push(...partitions) },
      graceMs: 0,
      reserveMs: 120_000,
    });
    await worker.handle({ v: 1, kind: 'compact', pipelineId: 3, dt: '2026-11-30' }, () => remaining);
    expect(merged.map((group) => group.hour)).toEqual([1]);
    expect(sent).toEqual([{ pipelineId: 3, dt: '2026-11-30' }]);
    remaining = 10_000_000;
    sent.length = 0;
    await worker.handle({ v: 1, kind: 'compact', pipelineId: 3, dt: '2026-11-30' }, () => remaining);
    expect(merged.map((group) => group.hour)).toEqual([1, 2, 3]);
    expect(sent).toEqual([]);
  });

  it('the tick queues the partitions of its last days, and older ones with removals pending; the CLI pass walks every partition', async () => {
    const bucket = memoryBucket();
    const { merger } = recordingMerger(bucket);
    bucket.land(`webhooks/pipeline_id=3/dt=2026-11-28/100000-100001-${hex(1)}.parquet`, 0);
    bucket.land(`webhooks/pipeline_id=3/dt=2026-11-30/100000-100001-${hex(2)}.parquet`, 0);
    bucket.land(`webhooks/pipeline_id=4/dt=2026-11-29/100000-100001-${hex(3)}.parquet`, 0);
    bucket.land(`compaction/pipeline_id=4/dt=2026-11-01/000000-000001-${hex(4)}.json`, 0);
    const sent: { pipelineId: number; dt: string }[] = [];
    const clock = { nowMs: () => at('2026-11-30T12:00:00Z') };
    expect(await queueCompactions({ lake: bucket.lake, queue: { send: async (partitions) => void sent.push(...partitions) }, clock }, 2)).toBe(3);
    expect(sent).toEqual([
      { pipelineId: 3, dt: '2026-11-30' },
      { pipelineId: 4, dt: '2026-11-29' },
      { pipelineId: 4, dt: '2026-11-01' },
    ]);
    const stats = await compactLake({ lake: bucket.lake, merger, clock }, {}, { selection: { kind: 'age', olderThanMs: 0 }, graceMs: 0 });
    expect(stats).toMatchObject({ partitions: 4, hours: 3, objectsWritten: 3, objectsRemoved: 3 });
    expect((await compactLake({ lake: bucket.lake, merger, clock }, { pipelineId: 4 }, { selection: { kind: 'age', olderThanMs: 0 }, graceMs: 0 })).partitions).toBe(2);
  });
});
