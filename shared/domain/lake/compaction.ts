// Hourly compaction of the lake (docs/lake.md, "Compaction"): which objects an hour's compacted
// object replaces, when they may be removed, and which objects a reader skips while both copies
// exist. Pure: the service (shared/services/lake/compaction.ts) lists and writes, DuckDB
// (shared/adapters/duckdb/hour-compactor.ts) merges.
//
// An hour group is (pipeline, day, UTC hour). Its inputs are the objects that can hold rows of
// that hour (by their name's time range: a batch spanning 10:59:58-11:00:03 is an input of 10 and
// of 11) and the hour's earlier compacted object, if any; its output holds exactly the rows of the
// hour, once per request id (every copy of a request shares its receive time, hence its hour).
//
// Each pass records what it read in a manifest (`compaction/pipeline_id=N/dt=D/<output>.json`),
// written before the output: once the output exists, readers skip the inputs it lists (for every
// hour they hold), and a later pass removes them once the grace period has passed since the
// manifest was written, then the manifest. A pass that dies before its output leaves a manifest
// whose output never appears: readers ignore it, a pass an hour later drops it.
import * as v from 'valibot';
import { fileNameOf, isCompactedObject, objectTimeRange, partitionPath, WEBHOOKS_PREFIX, type Partition, COMPACTED_SUFFIX } from './objects.ts';

export const COMPACTION_PREFIX = 'compaction/';

/** By default a pass compacts whole hours that ended at least this long ago. */
export const DEFAULT_SETTLE_MS = 15 * 60_000;
/** Inputs stay this long after the compaction that replaced them, by default: a running Athena query (30 minutes at most by default) keeps its files. */
export const DEFAULT_GRACE_MS = 60 * 60_000;
/** A manifest whose output never appeared (its pass died in between) is dropped after this long. */
export const STALE_MANIFEST_MS = 60 * 60_000;

/** An object as a listing gives it. */
export interface ListedObject {
  key: string;
  size: number;
  lastModifiedMs: number;
  etag?: string | undefined;
}

export interface CompactionManifest {
  v: 1;
  pipelineId: number;
  dt: string;
  /** The UTC hour (0-23) of the output's rows. */
  hour: number;
  output: { key: string; bytes: number; rows: number };
  /** Exactly the objects the pass read (never the output itself). */
  inputs: { key: string; bytes: number }[];
  compactedAtMs: number;
}

const ManifestSchema = v.object({
  v: v.literal(1),
  pipelineId: v.pipe(v.number(), v.integer(), v.minValue(1)),
  dt: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}-\d{2}$/)),
  hour: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(23)),
  output: v.object({ key: v.string(), bytes: v.number(), rows: v.number() }),
  inputs: v.array(v.object({ key: v.string(), bytes: v.number() })),
  compactedAtMs: v.number(),
});

/** The manifest text, or undefined for anything else (a reader ignores such an object). */
export function parseManifest(text: string): CompactionManifest | undefined {
  try {
    const parsed = v.safeParse(ManifestSchema, JSON.parse(text));
    return parsed.success ? parsed.output : undefined;
  } catch {
    return undefined;
  }
}

export function serializeManifest(manifest: CompactionManifest): string {
  return JSON.stringify(manifest);
}

/** `compaction/` or `compaction/pipeline_id=N/` or `compaction/pipeline_id=N/dt=D/`. */
export function manifestPrefix(pipelineId?: number, dt?: string): string {
  if (pipelineId === undefined) return COMPACTION_PREFIX;
  return dt === undefined ? `${COMPACTION_PREFIX}pipeline_id=${pipelineId}/` : partitionPath(COMPACTION_PREFIX, { pipelineId, dt });
}

/** Named after its output, so a rerun that writes the same output rewrites the same manifest. */
export function manifestKey(manifest: Pick<CompactionManifest, 'pipelineId' | 'dt' | 'output'>): string {
  const name = fileNameOf(manifest.output.key);
  return `${manifestPrefix(manifest.pipelineId, manifest.dt)}${name.slice(0, name.length - COMPACTED_SUFFIX.length)}.json`;
}

/** Unix seconds at which an hour of a day partition starts. */
export function hourStartSeconds(dt: string, hour: number): number {
  return Date.parse(`${dt}T00:00:00.000Z`) / 1000 + hour * 3600;
}

/** The UTC hours (0-23) of its day whose rows an object can hold, from its name; undefined for names without times. */
export function objectHours(keyOrName: string): number[] | undefined {
  const range = objectTimeRange(fileNameOf(keyOrName));
  if (range === undefined) return undefined;
  const first = Number(range.first.slice(0, 2));
  const last = Number(range.last.slice(0, 2));
  if (!(first <= last && last < 24)) return undefined;
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}

/** For each key, the hours in which some manifest of `manifests` lists it as an input. */
function hoursCovered(manifests: readonly CompactionManifest[]): Map<string, Set<number>> {
  const covered = new Map<string, Set<number>>();
  for (const manifest of manifests) {
    for (const input of manifest.inputs) {
      if (input.key === manifest.output.key) continue;
      let hours = covered.get(input.key);
      if (hours === undefined) covered.set(input.key, (hours = new Set()));
      hours.add(manifest.hour);
    }
  }
  return covered;
}

function coversEveryHour(key: string, covered: Map<string, Set<number>>): boolean {
  const hours = objectHours(key);
  const by = covered.get(key);
  return hours !== undefined && by !== undefined && hours.every((hour) => by.has(hour));
}

/**
 * The listed objects a reader skips: those a compaction whose output is listed has read, for
 * every hour they can hold rows of. (A batch spanning two hours stays until both are compacted;
 * its rows of the compacted hour are then in two objects, which `webhooks` reads once.)
 */
export function supersededKeys(listedKeys: ReadonlySet<string>, manifests: readonly CompactionManifest[]): Set<string> {
  const covered = hoursCovered(manifests.filter((manifest) => listedKeys.has(manifest.output.key)));
  const superseded = new Set<string>();
  for (const key of covered.keys()) if (listedKeys.has(key) && coversEveryHour(key, covered)) superseded.add(key);
  return superseded;
}

/** The listed objects a reader reads: all but the superseded ones. */
export function liveObjects<T extends { key: string }>(listed: readonly T[], manifests: readonly CompactionManifest[]): T[] {
  const superseded = supersededKeys(new Set(listed.map((object) => object.key)), manifests);
  return listed.filter((object) => !superseded.has(object.key));
}

/** Which objects a pass compacts. */
export type CompactionSelection =
  /** Whole hours that ended at least `settleMs` ago (the schedule's pass). */
  | { kind: 'settled'; settleMs: number }
  /** Objects written at least `olderThanMs` ago, whatever hour they are in (`--older-than`); a later pass folds the hour's newer objects in. */
  | { kind: 'age'; olderThanMs: number };

export interface HourGroup {
  partition: Partition;
  hour: number;
  hourStartSeconds: number;
  /** The hour's compacted object (if any) and the uncompacted objects selected, in key order. */
  inputs: ListedObject[];
}

/**
 * The hour groups of one day partition that are due: an hour with an uncompacted object the
 * selection takes (its compacted object, if any, is merged in), or with more than one live
 * compacted object (two passes raced, or one died between its output and an earlier manifest).
 * Objects whose names carry no times (written before names did) are left as they are.
 */
export function planHourGroups(
  partition: Partition,
  listed: readonly ListedObject[],
  manifests: readonly CompactionManifest[],
  selection: CompactionSelection,
  nowMs: number,
): HourGroup[] {
  const fresh = new Map<number, ListedObject[]>();
  const compacted = new Map<number, ListedObject[]>();
  const add = (map: Map<number, ListedObject[]>, hour: number, object: ListedObject) => {
    const list = map.get(hour);
    if (list === undefined) map.set(hour, [object]);
    else list.push(object);
  };
  const listedKeys = new Set(listed.map((object) => object.key));
  // An hour an effective manifest has taken from an object is done for that object (a batch
  // spanning two hours stays listed until its other hour is compacted too).
  const covered = hoursCovered(manifests.filter((manifest) => listedKeys.has(manifest.output.key)));
  for (const object of listed) {
    const hours = (objectHours(object.key) ?? []).filter((hour) => covered.get(object.key)?.has(hour) !== true);
    if (isCompactedObject(object.key)) {
      if (hours.length === 1) add(compacted, hours[0]!, object);
    } else for (const hour of hours) add(fresh, hour, object);
  }
  const groups: HourGroup[] = [];
  for (let hour = 0; hour < 24; hour++) {
    const start = hourStartSeconds(partition.dt, hour);
    const candidates = fresh.get(hour) ?? [];
    const selected =
      selection.kind === 'settled'
        ? (start + 3600) * 1000 + selection.settleMs <= nowMs
          ? candidates
          : []
        : candidates.filter((object) => object.lastModifiedMs <= nowMs - selection.olderThanMs);
    const earlier = compacted.get(hour) ?? [];
    if (selected.length === 0 && earlier.length < 2) continue;
    const inputs = [...earlier, ...selected].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    groups.push({ partition, hour, hourStartSeconds: start, inputs });
  }
  return groups;
}

export interface Removals {
  /** Inputs whose grace period has passed, for every hour they hold. */
  deleteKeys: string[];
  /** Manifests with nothing left to remove, or whose output never appeared. */
  dropManifests: CompactionManifest[];
}

/**
 * What a pass removes from a partition (`listed` is its current listing): the inputs of the
 * manifests whose output exists and whose grace period has passed (`graceMs`, as set for this
 * pass), an input only once every hour it holds is covered so, and never the output of a
 * manifest whose own inputs must stay (readers would take those for live again).
 */
export function planRemovals(listed: readonly ListedObject[], manifests: readonly CompactionManifest[], graceMs: number, nowMs: number): Removals {
  const listedKeys = new Set(listed.map((object) => object.key));
  const effective = manifests.filter((manifest) => listedKeys.has(manifest.output.key));
  const due = effective.filter((manifest) => manifest.compactedAtMs + graceMs <= nowMs);
  const covered = hoursCovered(due);
  const deleting = new Set([...covered.keys()].filter((key) => listedKeys.has(key) && coversEveryHour(key, covered)));
  const dueSet = new Set(due);
  // An output may go only with all of its own manifest's inputs (a chain: an hour compacted twice).
  for (let changed = true; changed; ) {
    changed = false;
    for (const manifest of manifests) {
      const output = manifest.output.key;
      if (!deleting.has(output)) continue;
      const keeps = !dueSet.has(manifest) || manifest.inputs.some((input) => input.key !== output && listedKeys.has(input.key) && !deleting.has(input.key));
      if (keeps) {
        deleting.delete(output);
        changed = true;
      }
    }
  }
  const remains = (key: string) => listedKeys.has(key) && !deleting.has(key);
  const dropManifests = manifests.filter((manifest) =>
    listedKeys.has(manifest.output.key)
      ? manifest.inputs.every((input) => input.key === manifest.output.key || !remains(input.key))
      : nowMs - manifest.compactedAtMs > STALE_MANIFEST_MS,
  );
  return { deleteKeys: [...deleting].sort(), dropManifests };
}

/** A partition as its webhooks prefix (`webhooks/pipeline_id=N/dt=D/`). */
export function webhooksPartitionPrefix(partition: Partition): string {
  return partitionPath(WEBHOOKS_PREFIX, partition);
}

/** What one pass did, as `hooklake lake compact` prints it. */
export interface CompactionStats {
  partitions: number;
  hours: number;
  objectsRead: number;
  objectsWritten: number;
  rows: number;
  bytesBefore: number;
  bytesAfter: number;
  objectsRemoved: number;
  /** Inputs left out because they hold rows outside their name's time range (not ours): never removed. */
  objectsSkipped: number;
  /** Partitions left for a later pass (the invocation's time ran out). */
  partitionsLeft: number;
}

export function emptyCompactionStats(): CompactionStats {
  return { partitions: 0, hours: 0, objectsRead: 0, objectsWritten: 0, rows: 0, bytesBefore: 0, bytesAfter: 0, objectsRemoved: 0, objectsSkipped: 0, partitionsLeft: 0 };
}

export function addCompactionStats(total: CompactionStats, part: CompactionStats): CompactionStats {
  const sum = { ...total };
  for (const key of Object.keys(sum) as (keyof CompactionStats)[]) sum[key] += part[key];
  return sum;
}
