// What the inbound functions need from the outside world.
import type { BodyRef, IngestMessage } from '../domain/ingest-message.ts';
import type { PipelineRecord, RejectionReason, TokenRecord } from '../domain/records.ts';

export interface IngestQueue {
  send(messageBody: string): Promise<void>;
}

/** Large bodies travel through S3 (claim check). */
export interface ClaimStore {
  put(ref: BodyRef, body: string): Promise<void>;
  get(ref: BodyRef): Promise<string>;
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

export interface RejectionCounter {
  /** Adds counts for one pipeline and day. */
  add(pipelineId: number, dt: string, counts: Partial<Record<RejectionReason, number>>): Promise<void>;
}

export type { IngestMessage };
