// Hourly compaction of the lake (docs/lake.md, "Compaction"; the rules in domain/lake/compaction.ts):
// per day partition, merge each due hour's objects into one sorted, deduplicated ZSTD Parquet
// object with statistics, record what was read in a manifest (before the output, so readers never
// see the output without it), then remove what the grace period frees. The schedule's pass runs in
// the sync function (a `compact_tick` fans out into one `compact` message per partition on the sync
// queue); `hooklake lake compact` runs the same code in the CLI.
import type { Clock } from '../../domain/clock.ts';
import { utcDay } from '../../domain/clock.ts';
import type { CompactionMessage } from '../../domain/syncs/messages.ts';
import {
  addCompactionStats,
  DEFAULT_SETTLE_MS,
  emptyCompactionStats,
  manifestKey,
  manifestPrefix,
  parseManifest,
  planHourGroups,
  planRemovals,
  serializeManifest,
  webhooksPartitionPrefix,
  type CompactionManifest,
  type CompactionSelection,
  type CompactionStats,
  type ListedObject,
} from '../../domain/lake/compaction.ts';
import { compactedObjectKey, WEBHOOKS_PREFIX, type Partition } from '../../domain/lake/objects.ts';
import { WEBHOOKS_OBJECT_KEY } from '../../domain/lake/views.ts';
import type { CompactionQueue, HourMerger, LakeObjects } from '../../ports/lake.ts';
import { log } from '../../logger.ts';

export interface CompactionDeps {
  lake: LakeObjects;
  merger: HourMerger;
  clock: Clock;
}

export interface PassOptions {
  selection: CompactionSelection;
  /** Inputs stay this long after the manifest that replaced them was written. */
  graceMs: number;
  /** Whether another hour may start (a Lambda invocation stops in time and continues in a new message). */
  hasTime?: () => boolean;
}

const PIPELINE_FOLDER = /^webhooks\/pipeline_id=(\d+)\/$/;
const DAY_FOLDER = /\/dt=(\d{4}-\d{2}-\d{2})\/$/;

/**
 * The partitions a pass looks at: every day of the pipeline(s) (`sinceDt` and later only, when
 * given), and every partition with a manifest still waiting for its removals.
 */
export async function partitionsToCompact(lake: LakeObjects, scope: { pipelineId?: number | undefined; sinceDt?: string | undefined }): Promise<Partition[]> {
  const pipelines =
    scope.pipelineId !== undefined
      ? [scope.pipelineId]
      : (await lake.listFolders(WEBHOOKS_PREFIX)).flatMap((folder) => {
          const match = PIPELINE_FOLDER.exec(folder);
          return match === null ? [] : [Number(match[1])];
        });
  const found = new Map<string, Partition>();
  for (const pipelineId of pipelines) {
    const folders = [
      ...(await lake.listFolders(`${WEBHOOKS_PREFIX}pipeline_id=${pipelineId}/`)),
      ...(await lake.listFolders(manifestPrefix(pipelineId))),
    ];
    for (const folder of folders) {
      const dt = DAY_FOLDER.exec(folder)?.[1];
      if (dt === undefined || (scope.sinceDt !== undefined && dt < scope.sinceDt)) continue;
      found.set(`${pipelineId}/${dt}`, { pipelineId, dt });
    }
  }
  return [...found.values()].sort((a, b) => a.pipelineId - b.pipelineId || (a.dt < b.dt ? -1 : a.dt > b.dt ? 1 : 0));
}

async function readManifests(lake: LakeObjects, partition: Partition): Promise<CompactionManifest[]> {
  const listed = await lake.list(manifestPrefix(partition.pipelineId, partition.dt));
  const manifests: CompactionManifest[] = [];
  for (const object of listed) {
    if (!object.key.endsWith('.json')) continue;
    const text = await lake.readText(object.key);
    const manifest = text === undefined ? undefined : parseManifest(text);
    if (manifest !== undefined && manifest.pipelineId === partition.pipelineId && manifest.dt === partition.dt) manifests.push(manifest);
  }
  return manifests;
}

async function listPartition(lake: LakeObjects, partition: Partition): Promise<ListedObject[]> {
  return (await lake.list(webhooksPartitionPrefix(partition))).filter((object) => WEBHOOKS_OBJECT_KEY.test(object.key));
}

/** One pass over one day partition: its due hours (while there is time), then its removals. `done` is false when hours were left. */
export async function compactPartition(deps: CompactionDeps, partition: Partition, options: PassOptions): Promise<CompactionStats & { done: boolean }> {
  const stats = { ...emptyCompactionStats(), partitions: 1 };
  // An object spanning two hours is an input of both: counted (and its bytes) once.
  const read = new Set<string>();
  let done = true;
  const groups = planHourGroups(partition, await listPartition(deps.lake, partition), await readManifests(deps.lake, partition), options.selection, deps.clock.nowMs());
  for (const group of groups) {
    if (options.hasTime?.() === false) {
      done = false;
      break;
    }
    const merged = await deps.merger.merge(group);
    try {
      stats.objectsSkipped += merged.skipped.length;
      if (merged.rows === 0) {
        if (merged.skipped.length > 0) log.warn('compaction left objects holding rows outside their names\' time range', { partition, hour: group.hour, skipped: merged.skipped });
        continue;
      }
      const outputKey = compactedObjectKey(partition, merged.requests);
      const skipped = new Set(merged.skipped);
      const inputs = group.inputs.filter((input) => !skipped.has(input.key) && input.key !== outputKey);
      const manifest: CompactionManifest = {
        v: 1,
        pipelineId: partition.pipelineId,
        dt: partition.dt,
        hour: group.hour,
        output: { key: outputKey, bytes: merged.bytes, rows: merged.rows },
        inputs: inputs.map((input) => ({ key: input.key, bytes: input.size })),
        compactedAtMs: deps.clock.nowMs(),
      };
      // The manifest first: once the output exists, readers find what it replaces.
      await deps.lake.writeText(manifestKey(manifest), serializeManifest(manifest));
      await merged.upload(outputKey);
      stats.hours++;
      for (const input of group.inputs) {
        if (skipped.has(input.key) || read.has(input.key)) continue;
        read.add(input.key);
        stats.objectsRead++;
        stats.bytesBefore += input.size;
      }
      stats.objectsWritten++;
      stats.rows += merged.rows;
      stats.bytesAfter += merged.bytes;
    } finally {
      await merged.discard();
    }
  }
  // Removals, from a fresh listing: the outputs just written, and whatever landed meanwhile.
  const listed = await listPartition(deps.lake, partition);
  const manifests = await readManifests(deps.lake, partition);
  const removals = planRemovals(listed, manifests, options.graceMs, deps.clock.nowMs());
  if (removals.deleteKeys.length > 0) await deps.lake.delete(removals.deleteKeys);
  if (removals.dropManifests.length > 0) await deps.lake.delete(removals.dropManifests.map(manifestKey));
  stats.objectsRemoved += removals.deleteKeys.length;
  if (!done) stats.partitionsLeft++;
  return { ...stats, done };
}

/** A pass over every partition in scope, one after another (`hooklake lake compact`). */
export async function compactLake(
  deps: CompactionDeps,
  scope: { pipelineId?: number | undefined; sinceDt?: string | undefined },
  options: PassOptions,
): Promise<CompactionStats> {
  let total = emptyCompactionStats();
  for (const partition of await partitionsToCompact(deps.lake, scope)) {
    const { done: _done, ...stats } = await compactPartition(deps, partition, options);
    total = addCompactionStats(total, stats);
  }
  return total;
}

/** The schedule's tick: one `compact` message per partition of the last `days` UTC days, and per partition with removals pending. */
export async function queueCompactions(deps: { lake: LakeObjects; queue: CompactionQueue; clock: Clock }, days: number): Promise<number> {
  const sinceDt = utcDay(deps.clock.nowMs() / 1000 - (days - 1) * 86_400);
  const recent = await partitionsToCompact(deps.lake, { sinceDt });
  const pending = (await partitionsWithManifests(deps.lake)).filter((partition) => partition.dt < sinceDt);
  const partitions = [...recent, ...pending];
  if (partitions.length > 0) await deps.queue.send(partitions);
  return partitions.length;
}

/** Partitions with a manifest (removals pending), whatever their day. */
async function partitionsWithManifests(lake: LakeObjects): Promise<Partition[]> {
  const found = new Map<string, Partition>();
  for (const object of await lake.list(manifestPrefix())) {
    const match = /^compaction\/pipeline_id=(\d+)\/dt=(\d{4}-\d{2}-\d{2})\//.exec(object.key);
    if (match !== null) found.set(`${match[1]}/${match[2]}`, { pipelineId: Number(match[1]), dt: match[2]! });
  }
  return [...found.values()];
}

export interface CompactionWorkerDeps extends CompactionDeps {
  queue: CompactionQueue;
  /** Inputs stay this long after the compaction that replaced them. */
  graceMs: number;
  /** The scheduled pass compacts hours that ended at least this long ago. */
  settleMs?: number | undefined;
  /** A partition's pass stops starting hours when less than this is left of the invocation, and continues in a new message. */
  reserveMs?: number | undefined;
}

/** What the sync function does with a compaction message of the sync queue (domain/syncs/messages.ts). */
export function createCompactionWorker(deps: CompactionWorkerDeps) {
  const reserveMs = deps.reserveMs ?? 120_000;
  return {
    async handle(message: CompactionMessage, remainingMs: () => number): Promise<void> {
      if (message.kind === 'compact_tick') {
        const queued = await queueCompactions(deps, message.days);
        log.info('compaction tick', { days: message.days, partitions: queued });
        return;
      }
      const partition = { pipelineId: message.pipelineId, dt: message.dt };
      const stats = await compactPartition(deps, partition, {
        selection: { kind: 'settled', settleMs: deps.settleMs ?? DEFAULT_SETTLE_MS },
        graceMs: deps.graceMs,
        hasTime: () => remainingMs() > reserveMs,
      });
      if (!stats.done) await deps.queue.send([partition]);
      if (stats.hours > 0 || stats.objectsRemoved > 0) log.info('compacted', { ...partition, ...stats });
    },
  };
}
