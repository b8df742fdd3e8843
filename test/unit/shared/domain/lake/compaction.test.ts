// The rules of hourly compaction: which hours are due, what readers skip while both copies exist,
// and what a pass may remove (and what it must keep), over listings and manifests alone.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTLE_MS,
  hourStartSeconds,
  liveObjects,
  manifestKey,
  objectHours,
  parseManifest,
  planHourGroups,
  planRemovals,
  serializeManifest,
  STALE_MANIFEST_MS,
  supersededKeys,
  type CompactionManifest,
  type ListedObject,
} from '../../../../../shared/domain/lake/compaction.ts';
import { compactedHourPrefix, compactedObjectKey, objectTimeRange } from '../../../../../shared/domain/lake/objects.ts';
import { formatDurationMs, parseDurationMs } from '../../../../../shared/domain/duration.ts';

const partition = { pipelineId: 7, dt: '2026-11-30' };
const dir = 'webhooks/pipeline_id=7/dt=2026-11-30/';
const at = (hhmmss: string) => Date.parse(`2026-11-30T${hhmmss.slice(0, 2)}:${hhmmss.slice(2, 4)}:${hhmmss.slice(4, 6)}.000Z`);
let serial = 0;
/** A processor object with requests from `first` to `last` (HHMMSS), written `modifiedMs`. */
const batch = (first: string, last: string, modifiedMs = at(last) + 1000): ListedObject => ({
  key: `${dir}${first}-${last}-${(serial++).toString(16).padStart(32, '0')}.parquet`,
  size: 1000,
  lastModifiedMs: modifiedMs,
});
const hourObject = (first: string, last: string): ListedObject => ({
  key: `${dir}${first}-${last}-${(serial++).toString(16).padStart(32, 'f')}.hour.parquet`,
  size: 50_000,
  lastModifiedMs: at(last) + 3_600_000,
});
const manifest = (hour: number, output: ListedObject, inputs: ListedObject[], compactedAtMs: number): CompactionManifest => ({
  v: 1,
  ...partition,
  hour,
  output: { key: output.key, bytes: output.size, rows: 10 },
  inputs: inputs.map((input) => ({ key: input.key, bytes: input.size })),
  compactedAtMs,
});

describe('compaction rules', () => {
  it('an object belongs to every UTC hour its name\'s time range touches; names without times to none', () => {
    expect(objectHours(batch('095958', '100003').key)).toEqual([9, 10]);
    expect(objectHours(batch('100000', '100000').key)).toEqual([10]);
    expect(objectHours(hourObject('100000', '105959').key)).toEqual([10]);
    expect(objectHours(`${dir}${'a'.repeat(32)}.parquet`)).toBeUndefined();
    expect(objectTimeRange(`100000-105959-${'a'.repeat(32)}.hour.parquet`)).toEqual({ first: '100000', last: '105959' });
  });

  it('compacted objects are named from their rows like the processor\'s, so they sort by time and a rerun over the same rows writes the same key', () => {
    const rows = [
      { id: 'b', ts: at('101500') / 1000 + 0.5 },
      { id: 'a', ts: at('100002') / 1000 },
    ];
    const key = compactedObjectKey(partition, rows);
    expect(key).toMatch(/^webhooks\/pipeline_id=7\/dt=2026-11-30\/100002-101500-[0-9a-f]{32}\.hour\.parquet$/);
    expect(compactedObjectKey(partition, [...rows].reverse())).toBe(key);
    expect(compactedHourPrefix(7, at('101500') / 1000 + 0.5)).toBe(`${dir}10`);
    expect(key.startsWith(compactedHourPrefix(7, rows[0]!.ts))).toBe(true);
    expect(manifestKey({ ...partition, output: { key, bytes: 1, rows: 2 } })).toBe(`compaction/pipeline_id=7/dt=2026-11-30/${key.split('/').pop()!.replace('.hour.parquet', '')}.json`);
  });

  it('the scheduled pass takes whole hours that ended at least 15 minutes ago, the hour\'s compacted object with them', () => {
    const early = batch('090001', '090004');
    const span = batch('095958', '100003');
    const ten = batch('101000', '101001');
    const eleven = batch('110500', '110501');
    const compactedNine = hourObject('090000', '095000');
    const settled = { kind: 'settled', settleMs: DEFAULT_SETTLE_MS } as const;
    const groups = planHourGroups(partition, [early, span, ten, eleven, compactedNine], [], settled, at('111459'));
    // 11:14:59: hour 10 ended 14:59 ago, not yet; hour 9 is due, with its earlier compacted object.
    expect(groups.map((group) => [group.hour, group.inputs.map((input) => input.key).sort()])).toEqual([[9, [early.key, compactedNine.key, span.key].sort()]]);
    expect(groups[0]!.hourStartSeconds).toBe(hourStartSeconds('2026-11-30', 9));
    const later = planHourGroups(partition, [early, span, ten, eleven], [], settled, at('111500'));
    expect(later.map((group) => group.hour)).toEqual([9, 10]);
    expect(later[1]!.inputs.map((input) => input.key).sort()).toEqual([span.key, ten.key].sort());
  });

  it('--older-than takes objects by age whatever their hour; a lone compacted object is not due again, two of one hour are', () => {
    const old = batch('110000', '110001', at('110002'));
    const fresh = batch('111400', '111401', at('111402'));
    const age = { kind: 'age', olderThanMs: 10 * 60_000 } as const;
    expect(planHourGroups(partition, [old, fresh], [], age, at('111500')).map((group) => group.inputs)).toEqual([[old]]);
    expect(planHourGroups(partition, [old, fresh], [], { kind: 'age', olderThanMs: 0 }, at('111500'))[0]!.inputs).toHaveLength(2);
    expect(planHourGroups(partition, [hourObject('100000', '105959')], [], { kind: 'age', olderThanMs: 0 }, at('111500'))).toEqual([]);
    const twice = [hourObject('100000', '105959'), hourObject('100000', '105900')];
    expect(planHourGroups(partition, twice, [], { kind: 'age', olderThanMs: 0 }, at('111500')).map((group) => group.hour)).toEqual([10]);
  });

  it('readers skip what a compaction replaced once its output exists; a batch spanning two hours only once both are compacted', () => {
    const a = batch('100001', '100002');
    const span = batch('105958', '110003');
    const out10 = hourObject('100001', '105959');
    const m10 = manifest(10, out10, [a, span], at('121500'));
    // The manifest is written before its output: until the output is listed, nothing is skipped.
    expect(liveObjects([a, span], [m10])).toEqual([a, span]);
    expect(liveObjects([a, span, out10], [m10])).toEqual([span, out10]);
    const out11 = hourObject('110000', '115959');
    const m11 = manifest(11, out11, [span], at('131500'));
    expect([...supersededKeys(new Set([a.key, span.key, out10.key, out11.key]), [m10, m11])].sort()).toEqual([a.key, span.key].sort());
    // Hour 10 is not due again for `span`, only hour 11 was left of it.
    expect(planHourGroups(partition, [a, span, out10], [m10], { kind: 'age', olderThanMs: 0 }, at('131500')).map((group) => [group.hour, group.inputs.map((input) => input.key)])).toEqual([[11, [span.key]]]);
  });

  it('a late arrival for a compacted hour is folded in with the compacted object by a later pass; the chain skips both older copies', () => {
    const a = batch('100001', '100002');
    const out1 = hourObject('100001', '100002');
    const late = batch('100030', '100030', at('140000'));
    const m1 = manifest(10, out1, [a], at('111500'));
    const groups = planHourGroups(partition, [a, out1, late], [m1], { kind: 'settled', settleMs: DEFAULT_SETTLE_MS }, at('141500'));
    expect(groups.map((group) => group.inputs.map((input) => input.key).sort())).toEqual([[out1.key, late.key].sort()]);
    const out2 = hourObject('100001', '100030');
    const m2 = manifest(10, out2, [out1, late], at('141500'));
    expect(liveObjects([a, out1, late, out2], [m1, m2])).toEqual([out2]);
  });

  it('removes inputs only after the grace period, exactly those listed, each only with all its hours, and never an output whose own inputs stay', () => {
    const a = batch('100001', '100002');
    const span = batch('105958', '110003');
    const out10 = hourObject('100001', '105959');
    const m10 = manifest(10, out10, [a, span], at('121500'));
    const stranger = batch('100500', '100501');
    const listed = [a, span, out10, stranger];
    const hour = 3_600_000;
    expect(planRemovals(listed, [m10], hour, at('131459'))).toEqual({ deleteKeys: [], dropManifests: [] });
    // Grace passed: `a` goes; `span` still holds hour 11 rows; the manifest stays for it.
    expect(planRemovals(listed, [m10], hour, at('131500'))).toEqual({ deleteKeys: [a.key], dropManifests: [] });
    expect(planRemovals(listed, [m10], 0, at('121500'))).toEqual({ deleteKeys: [a.key], dropManifests: [] });
    const out11 = hourObject('110000', '115959');
    const m11 = manifest(11, out11, [span], at('131500'));
    const both = planRemovals([...listed, out11], [m10, m11], 0, at('131500'));
    expect(both.deleteKeys).toEqual([a.key, span.key].sort());
    expect(both.dropManifests).toEqual([m10, m11]);
    expect(both.deleteKeys).not.toContain(stranger.key);

    // A chain: out1 replaced by out2. With a longer-lived m1 pending, out1 stays, even at --grace 0s.
    const b = batch('100100', '100101');
    const out1 = hourObject('100100', '100101');
    const late = batch('100200', '100200');
    const out2 = hourObject('100100', '100200');
    const m1 = manifest(10, out1, [b], at('121500'));
    const m2 = manifest(10, out2, [out1, late], at('131500'));
    const chain = [b, out1, late, out2];
    expect(planRemovals(chain, [m1, m2], hour, at('141459'))).toEqual({ deleteKeys: [b.key], dropManifests: [m1] });
    expect(planRemovals(chain, [m1, m2], 0, at('131500'))).toEqual({ deleteKeys: [b.key, late.key, out1.key].sort(), dropManifests: [m1, m2] });
    // m2 due while m1 is not (m1 written after it, by a pass that raced): out1 stays for m1's input.
    const m1later = { ...m1, compactedAtMs: at('132000') };
    expect(planRemovals(chain, [m1later, m2], 30 * 60_000, at('134600'))).toEqual({ deleteKeys: [late.key], dropManifests: [] });
  });

  it('drops a manifest whose output never appeared (its pass died) after an hour, never its inputs', () => {
    const a = batch('100001', '100002');
    const dead = manifest(10, hourObject('100001', '100002'), [a], at('121500'));
    expect(planRemovals([a], [dead], 0, at('121500') + STALE_MANIFEST_MS)).toEqual({ deleteKeys: [], dropManifests: [] });
    expect(planRemovals([a], [dead], 0, at('121500') + STALE_MANIFEST_MS + 1)).toEqual({ deleteKeys: [], dropManifests: [dead] });
  });

  it('manifests round-trip and anything else reads as none', () => {
    const m = manifest(10, hourObject('100000', '105959'), [batch('100000', '100001')], 1);
    expect(parseManifest(serializeManifest(m))).toEqual(m);
    expect(parseManifest('not json')).toBeUndefined();
    expect(parseManifest(JSON.stringify({ ...m, hour: 24 }))).toBeUndefined();
  });

  it('durations as typed', () => {
    expect(parseDurationMs('0s')).toBe(0);
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('15')).toBeUndefined();
    expect(parseDurationMs('-1s')).toBeUndefined();
    expect(parseDurationMs('1w')).toBeUndefined();
    expect(formatDurationMs(5_400_000)).toBe('90m');
    expect(formatDurationMs(0)).toBe('0s');
  });
});
