// Typed tables (docs/lake.md, "Typed tables"): where a pipeline's inferred schema is kept, the
// catalog its Athena view is published to, the lake it samples, and the service the API, the
// schedule and the CLI call.
import type { PipelineSchema } from '../domain/lake/schema.ts';
import type { LakeReader } from './inspector.ts';

/** A stored schema and what its writes are conditional on. */
export interface StoredSchema {
  schema: PipelineSchema;
  /** Bumped by every write: a refresh writes only over the revision it read. */
  revision: number;
  /** The schema version whose view the catalog holds (0: none yet). */
  publishedVersion: number;
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
  put(schema: PipelineSchema, expectedRevision: number, publishedVersion: number): Promise<boolean>;
  /** Records that the catalog holds the view of `version` (no-op when a newer write came first). */
  markPublished(pipelineId: number, version: number): Promise<void>;
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
