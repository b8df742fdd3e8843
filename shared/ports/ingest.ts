// What the inbound functions need from the outside world.
import type { BodyRef, IngestMessage } from '../domain/ingest/message.ts';
import type { PipelineRecord, TokenRecord } from '../domain/ingest/records.ts';
import type { RejectionBucket, RejectionCountsByReason, RejectionSummary, SummaryWindow } from '../domain/ingest/rejections.ts';

export interface IngestQueue {
  send(messageBody: string): Promise<void>;
}

/** Large bodies travel through S3 (claim check). */
export interface ClaimStore {
  put(ref: BodyRef, body: string): Promise<void>;
  get(ref: BodyRef): Promise<string>;
}

/** The processor's reads of claim-checked bodies: whole only once accepted, else size and first bytes. */
export interface ClaimReader {
  get(ref: BodyRef): Promise<string>;
  /** The body's size in bytes, without reading it. */
  size(ref: BodyRef): Promise<number>;
  /** The body's first `maxBytes` bytes and its whole size, without reading the rest. */
  head(ref: BodyRef, maxBytes: number): Promise<{ prefix: Uint8Array; bytes: number }>;
}

export interface CredentialDirectory {
  /** One round trip for everything asked; absent entries are simply missing from the maps. */
  lookup(keys: string[], pipelineIds: number[]): Promise<{
    tokens: Map<string, TokenRecord>;
    pipelines: Map<number, PipelineRecord>;
  }>;
}

export interface LakeObject {
  key: string;
  body: Uint8Array;
  contentType: string;
}

export interface LakeStore {
  put(object: LakeObject): Promise<void>;
}

/**
 * The processor's rejection items (every one under a `REJECTED#` partition key, so its writes can
 * be limited to them): daily counters per bucket, and per-window summaries of existing pipelines.
 */
export interface RejectionCounter {
  /** Adds rows landed to the pipeline's counter for one UTC day (one call per lake object, never per row). */
  addLanded(pipelineId: number, dt: string, rows: number): Promise<void>;
  /** Adds counts to the bucket's counter for one UTC day. */
  addDaily(bucket: RejectionBucket, dt: string, counts: RejectionCountsByReason): Promise<void>;
  /** Claims the window's summary for publishing: true for the first caller only. */
  claimSummary(pipelineId: number, window: SummaryWindow): Promise<boolean>;
  /** Gives a claim back when its summary message could not be sent, so a later batch claims it. */
  releaseSummary(pipelineId: number, window: SummaryWindow): Promise<void>;
  /** Adds counts to the window's summary; the first samples written stay. */
  addToSummary(pipelineId: number, window: SummaryWindow, counts: RejectionCountsByReason, sampleRequestIds: readonly string[]): Promise<void>;
}

/** The fan-out's read of a summary window (the aggregated `webhook_rejected`). */
export interface RejectionSummaryReader {
  /** Undefined when the window has no item (or it expired). */
  getSummary(pipelineId: number, windowStart: string): Promise<RejectionSummary | undefined>;
}

export type { IngestMessage };
