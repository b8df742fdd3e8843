// Typed tables (docs/lake.md, "Typed tables"): where a pipeline's inferred schema is kept, the
// catalog its Athena view is published to, the lake it samples, and the service the API, the
// schedule and the CLI call.
import type { PipelineSchema } from '../domain/lake/schema.ts';
import type { LakeReader } from './inspector.ts';

/** Which view the catalog holds: of which schema version, built by which generation of the SQL. */
export interface PublishedView {
  /** The schema version (0: none yet). */
  version: number;
  /** VIEW_SQL_GENERATION when it was built (0: before generations were recorded). */
  generation: number;
}

/** A stored schema and what its writes are conditional on. */
export interface StoredSchema {
  schema: PipelineSchema;
  /** Bumped by every write: a refresh writes only over the revision it read. */
  revision: number;
  published: PublishedView;
}

/** What the schedule needs of every stored schema: small, whatever the schemas hold. */
export interface SchemaSummary {
  pipelineId: number;
  version: number;
  refreshedAt: string | null;
}

export interface SchemaStore {
  get(pipelineId: number): Promise<StoredSchema | undefined>;
  /** A summary of every stored schema (one item per pipeline that has received webhooks). */
  list(): Promise<SchemaSummary[]>;
  /** Writes `schema` over `expectedRevision` (0: none stored); false when another write came first. */
  put(schema: PipelineSchema, expectedRevision: number, published: PublishedView): Promise<boolean>;
  /** Records that the catalog holds `published` (no-op when a write of a newer version came first). */
  markPublished(pipelineId: number, published: PublishedView): Promise<void>;
}

/** Where Athena finds the views (the Glue database); absent locally, where DuckDB builds its views at query time. */
export interface ViewCatalog {
  publish(schema: PipelineSchema): Promise<void>;
}

/** The lake as the sampler reads it: objects (list, ranged read) and a pipeline's day partitions. */
export interface LakeSampleReader extends LakeReader {
  /** The `dt` values of a pipeline's partitions, in order, from `fromDt` on when given. */
  days(pipelineId: number, fromDt?: string): Promise<string[]>;
}

export interface RefreshAllResult {
  pipelines: number;
  refreshed: number;
  changed: number;
  failed: number;
  /** Pipelines left for the next run (out of time). */
  deferred: number;
}

export interface SchemaService {
  /** The stored schema (an empty one before the first refresh that found webhooks). */
  get(pipelineId: number): Promise<PipelineSchema>;
  /** Samples what landed since the last refresh, merges and stores it, publishes the view when it changed. */
  refresh(pipelineId: number): Promise<PipelineSchema>;
  /** Refreshes every pipeline, least recently refreshed first, until `deadlineMs` (epoch ms). */
  refreshAll(deadlineMs: number): Promise<RefreshAllResult>;
}
