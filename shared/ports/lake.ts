// The lake as its compaction sees it (shared/services/lake/compaction.ts): the bucket's `webhooks/`
// and `compaction/` objects, and the engine that merges an hour's objects into one.
import type { HourGroup, ListedObject } from '../domain/lake/compaction.ts';
import type { StoredRequestRef } from '../domain/lake/objects.ts';

export interface LakeObjects {
  /** Every object under `prefix`, in key order (all pages). */
  list(prefix: string): Promise<ListedObject[]>;
  /** The "folders" one level under `prefix` (`webhooks/pipeline_id=7/`, …), in key order. */
  listFolders(prefix: string): Promise<string[]>;
  /** A small object's text; undefined when there is none. */
  readText(key: string): Promise<string | undefined>;
  writeText(key: string, text: string): Promise<void>;
  /** Removes the objects (absent ones are no error). */
  delete(keys: readonly string[]): Promise<void>;
}

/** An hour group merged into one local Parquet file, to be uploaded under the name its rows give it. */
export interface MergedHour {
  rows: number;
  bytes: number;
  /** Id and receive time of every row (the name derives from them). */
  requests: StoredRequestRef[];
  /** Inputs left out: they hold rows outside their name's time range (not the processor's): never removed. */
  skipped: string[];
  upload(key: string): Promise<void>;
  /** Removes the local files (after the upload, or instead of it). */
  discard(): Promise<void>;
}

export interface HourMerger {
  /** The rows of the group's hour in its inputs, once per request id, sorted by time; ZSTD with statistics. */
  merge(group: HourGroup): Promise<MergedHour>;
}

/** Where `compact` messages go (the sync queue). */
export interface CompactionQueue {
  send(partitions: readonly { pipelineId: number; dt: string }[]): Promise<void>;
}
