// Keeps each pipeline's typed columns current (docs/lake.md, "Typed tables"): a refresh reads a
// bounded sample of what landed since the last one (the newest objects, a few hundred rows of
// each, a byte budget), folds it into the stored schema (domain/lake/schema.ts) and, when a
// column was added or widened, publishes the Athena view. The schedule refreshes every pipeline,
// least recently refreshed first, within its invocation's time; the API refreshes one on demand.
import { parquetReadObjects, type AsyncBuffer } from 'hyparquet';
import { utcDay } from '../../domain/clock.ts';
import { forEachBounded } from '../../domain/concurrency.ts';
import { partitionPath, timeOfDay, WEBHOOKS_PREFIX } from '../../domain/lake/objects.ts';
import { PARQUET_DECOMPRESSORS } from '../../domain/lake/parquet-codecs.ts';
import { bodyValuesAreText, emptySchema, mergeSchema, observeSample, type PipelineSchema, type SampleRow } from '../../domain/lake/schema.ts';
import { VIEW_SQL_GENERATION } from '../../domain/lake/schema-views.ts';
import { WEBHOOKS_OBJECT_KEY } from '../../domain/lake/views.ts';
import type { LakeObjectInfo } from '../../ports/inspector.ts';
import type { ManagementStore } from '../../ports/management.ts';
import type { LakeSampleReader, RefreshAllResult, SchemaService, SchemaStore, StoredSchema, ViewCatalog } from '../../ports/schema.ts';

/** What one refresh of one pipeline reads at most. */
export interface SampleBounds {
  /** Lake objects read. */
  objects: number;
  /** Rows read from one object (its first ones). */
  rowsPerObject: number;
  /** Rows in all. */
  rows: number;
  /** Bytes fetched from S3 in all (whole small objects, else the row groups needed). */
  bytes: number;
  /** List pages (1,000 keys) per day partition. */
  listPages: number;
  /** Day partitions looked at (the newest ones since the last refresh). */
  days: number;
}

export const DEFAULT_SAMPLE_BOUNDS: SampleBounds = {
  objects: 16,
  rowsPerObject: 250,
  rows: 2_000,
  bytes: 16 * 1024 * 1024,
  listPages: 3,
  days: 2,
};

/** An object up to this size is read in one GET; a larger one by ranges (only the row groups the sample needs). */
const WHOLE_OBJECT_BYTES = 1024 * 1024;
/** Pipelines refreshed at once by the schedule. */
const REFRESH_CONCURRENCY = 4;
/** The schedule starts no pipeline's refresh with less than this left before its deadline. */
export const REFRESH_RESERVE_MS = 5_000;

/** Listing starts this long before the cursor's time: an object is named by its first request, written seconds later. */
export const LOOKBACK_SECONDS = 10 * 60;
/** Objects modified this close to the cursor's time are new unless it names them (S3 keeps LastModified to the second, stamped at an upload's start). */
export const CURSOR_SLACK_MS = 5_000;
/** Object keys a cursor remembers at most. */
const MAX_CURSOR_KEYS = 200;

interface SampleCursor {
  /** Newest LastModified sampled, epoch ms. */
  ms: number;
  /** Keys of the objects modified within CURSOR_SLACK_MS of it, already sampled. */
  seen: string[];
}

function parseCursor(text: string | null): SampleCursor | undefined {
  if (text === null) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<SampleCursor>;
    if (typeof parsed.ms === 'number' && Array.isArray(parsed.seen)) return { ms: parsed.ms, seen: parsed.seen.filter((key) => typeof key === 'string') };
  } catch {
    // A cursor of another shape: start over from the newest day.
  }
  return undefined;
}

const SAMPLE_COLUMNS = ['__kdd_request_unix_timestamp', '__kdd_request_body', '__hl_request_method', '__hl_request_headers'];

export interface SchemaServiceDeps {
  store: SchemaStore;
  lake: LakeSampleReader;
  pipelines: Pick<ManagementStore, 'listPipelines'>;
  /** Absent where no catalog exists (the local stack: DuckDB builds its views at query time). */
  catalog?: ViewCatalog | undefined;
  nowMs: () => number;
  bounds?: Partial<SampleBounds>;
  /** Failures of one pipeline's refresh in refreshAll (logged by the caller's logger). */
  onError?: (pipelineId: number, error: unknown) => void;
}

class BudgetExceeded extends Error {}

export function createSchemaService(deps: SchemaServiceDeps): SchemaService {
  const bounds: SampleBounds = { ...DEFAULT_SAMPLE_BOUNDS, ...deps.bounds };

  /**
   * The objects stored since the cursor, oldest first, and the cursor after them. Objects are
   * named by their first request's time of day (domain/lake/objects.ts), so the listing starts
   * LOOKBACK_SECONDS before the cursor's time; what is new is told by LastModified, which S3 keeps
   * to the second and stamps at an upload's start: objects modified within CURSOR_SLACK_MS of the
   * cursor's time count as new unless the cursor names them.
   */
  async function newObjects(pipelineId: number, cursorText: string | null): Promise<{ objects: LakeObjectInfo[]; cursor: string | null }> {
    const cursor = parseCursor(cursorText);
    const today = utcDay(deps.nowMs() / 1000);
    const cursorDay = cursor === undefined ? undefined : utcDay(cursor.ms / 1000 - LOOKBACK_SECONDS);
    // The usual case (last refresh today) needs no listing of days: only today can have new objects.
    const days = cursorDay === today ? [today] : (await deps.lake.days(pipelineId, cursorDay)).slice(-bounds.days);
    const seen = new Set(cursor?.seen ?? []);
    const found: LakeObjectInfo[] = [];
    for (const dt of days) {
      const prefix = partitionPath(WEBHOOKS_PREFIX, { pipelineId, dt });
      const startAfter = cursor !== undefined && dt === cursorDay ? `${prefix}${timeOfDay(cursor.ms / 1000 - LOOKBACK_SECONDS)}` : undefined;
      let continuation: string | undefined;
      let pages = 0;
      do {
        const page = await deps.lake.list(prefix, { maxKeys: 1000, continuation, startAfter: continuation === undefined ? startAfter : undefined });
        for (const object of page.objects) {
          if (!WEBHOOKS_OBJECT_KEY.test(object.key)) continue;
          if (cursor !== undefined && (object.lastModifiedMs < cursor.ms - CURSOR_SLACK_MS || seen.has(object.key))) continue;
          found.push(object);
        }
        continuation = page.continuation;
      } while (continuation !== undefined && ++pages < bounds.listPages);
    }
    found.sort((a, b) => a.lastModifiedMs - b.lastModifiedMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (found.length === 0) return { objects: [], cursor: cursorText };
    const newestMs = Math.max(found.at(-1)!.lastModifiedMs, cursor?.ms ?? 0);
    const edge = [...(cursor?.seen ?? []).filter(() => cursor!.ms >= newestMs - CURSOR_SLACK_MS), ...found.filter((object) => object.lastModifiedMs >= newestMs - CURSOR_SLACK_MS).map((object) => object.key)];
    return { objects: found, cursor: JSON.stringify({ ms: newestMs, seen: edge.slice(-MAX_CURSOR_KEYS) }) };
  }

  /** Up to `count` objects spread evenly over `objects`, the newest always among them. */
  function spread(objects: LakeObjectInfo[], count: number): LakeObjectInfo[] {
    if (objects.length <= count) return objects;
    const picked: LakeObjectInfo[] = [];
    for (let index = 0; index < count; index++) {
      picked.push(objects[Math.round(((objects.length - 1) * (index + 1)) / count)]!);
    }
    return [...new Set(picked)];
  }

  async function objectBuffer(object: LakeObjectInfo, budget: { bytes: number }): Promise<AsyncBuffer> {
    const spend = (bytes: number) => {
      if (budget.bytes < bytes) throw new BudgetExceeded();
      budget.bytes -= bytes;
    };
    const toArrayBuffer = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    if (object.size <= WHOLE_OBJECT_BYTES) {
      spend(object.size);
      return toArrayBuffer(await deps.lake.read(object.key));
    }
    return {
      byteLength: object.size,
      async slice(start: number, end?: number) {
        const stop = Math.min(end ?? object.size, object.size);
        spend(stop - start);
        return toArrayBuffer(await deps.lake.read(object.key, { start, end: stop }));
      },
    };
  }

  async function readSample(objects: LakeObjectInfo[]): Promise<SampleRow[]> {
    const rows: SampleRow[] = [];
    const budget = { bytes: bounds.bytes };
    // Newest first: when the budget runs out, what was left is the oldest.
    for (const object of [...objects].reverse()) {
      const wanted = Math.min(bounds.rowsPerObject, bounds.rows - rows.length);
      if (wanted <= 0) break;
      try {
        const file = await objectBuffer(object, budget);
        // A compacted hour is ZSTD, and so are the text columns of the processor's objects.
        const read = (await parquetReadObjects({ file, columns: SAMPLE_COLUMNS, rowStart: 0, rowEnd: wanted, compressors: PARQUET_DECOMPRESSORS })) as Record<string, unknown>[];
        for (const row of read) {
          if (typeof row.__kdd_request_body !== 'string') continue;
          rows.push({
            body: row.__kdd_request_body,
            ts: Number(row.__kdd_request_unix_timestamp),
            textValues: bodyValuesAreText(
              typeof row.__hl_request_method === 'string' ? row.__hl_request_method : null,
              typeof row.__hl_request_headers === 'string' ? row.__hl_request_headers : null,
            ),
          });
        }
      } catch (error) {
        if (error instanceof BudgetExceeded) break;
        throw error;
      }
    }
    return rows;
  }

  async function publish(stored: StoredSchema): Promise<void> {
    if (deps.catalog === undefined || stored.schema.columns.length === 0) return;
    const { version, generation } = stored.published;
    if (version >= stored.schema.version && generation === VIEW_SQL_GENERATION) return;
    await deps.catalog.publish(stored.schema);
    await deps.store.markPublished(stored.schema.pipelineId, { version: stored.schema.version, generation: VIEW_SQL_GENERATION });
  }

  async function refresh(pipelineId: number): Promise<PipelineSchema> {
    const stored = await deps.store.get(pipelineId);
    const current = stored?.schema ?? emptySchema(pipelineId);
    const { objects, cursor } = await newObjects(pipelineId, current.sampledThrough);
    if (objects.length === 0) {
      // Nothing new to sample; a view whose publication failed before is published now.
      if (stored !== undefined) await publish(stored);
      return current;
    }
    const sample = await readSample(spread(objects, bounds.objects));
    const merged = mergeSchema(current, observeSample(sample), {
      now: new Date(deps.nowMs()).toISOString(),
      sampledThrough: cursor ?? undefined,
    });
    const revision = stored?.revision ?? 0;
    const published = stored?.published ?? { version: 0, generation: 0 };
    if (!(await deps.store.put(merged, revision, published))) {
      // Another refresh of this pipeline wrote first: its result stands.
      return (await deps.store.get(pipelineId))?.schema ?? merged;
    }
    await publish({ schema: merged, revision: revision + 1, published });
    return merged;
  }

  return {
    async get(pipelineId) {
      return (await deps.store.get(pipelineId))?.schema ?? emptySchema(pipelineId);
    },
    refresh,
    async refreshAll(deadlineMs) {
      const ids: number[] = [];
      let after: number | undefined;
      for (;;) {
        const page = await deps.pipelines.listPipelines({ limit: 1000, after });
        ids.push(...page.items.map((pipeline) => pipeline.id));
        if (page.next === undefined) break;
        after = page.next;
      }
      const summaries = new Map((await deps.store.list()).map((summary) => [summary.pipelineId, summary]));
      const refreshedAt = new Map([...summaries].map(([id, summary]) => [id, summary.refreshedAt ?? '']));
      // Never refreshed first, then the longest ago: a run cut short by time continues where it matters.
      const order = [...ids].sort((a, b) => (refreshedAt.get(a) ?? '').localeCompare(refreshedAt.get(b) ?? '') || a - b);
      const result: RefreshAllResult = { pipelines: ids.length, refreshed: 0, changed: 0, failed: 0, deferred: 0 };
      await forEachBounded(order, REFRESH_CONCURRENCY, async (pipelineId) => {
        // Out of time: what is left waits for the next run.
        if (deps.nowMs() > deadlineMs - REFRESH_RESERVE_MS) {
          result.deferred++;
          return;
        }
        try {
          const before = summaries.get(pipelineId)?.version ?? 0;
          const after = await refresh(pipelineId);
          result.refreshed++;
          if (after.version !== before) result.changed++;
        } catch (error) {
          result.failed++;
          deps.onError?.(pipelineId, error);
        }
      });
      return result;
    },
  };
}
