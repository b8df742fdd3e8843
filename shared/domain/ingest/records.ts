// What the table stores about pipelines and ingest tokens, independent of DynamoDB, and why the
// processor refuses a request (admins: credentials.ts).
import type { StoredVerification } from './signatures/settings.ts';

export interface PipelineRecord {
  id: number;
  name: string;
  createdAt: string;
  /** How its senders' signatures are verified; absent: not verified. */
  verification?: StoredVerification | undefined;
}

export interface TokenRecord {
  key: string;
  name: string;
  tokenSha256: string;
  /** Pipelines this token may write to; undefined means any existing pipeline. */
  pipelines?: number[] | undefined;
  createdAt: string;
  revokedAt?: string | undefined;
}

export const REJECTION_REASONS = [
  'unknown_key',
  'wrong_token',
  'revoked_token',
  'pipeline_not_allowed',
  'unknown_pipeline',
  // The pipeline verifies signatures: the signature does not match any active secret, the
  // header(s) are absent, the signed timestamp is off by more than the tolerance, or the request
  // carries its data where no signature reaches (a GET's query parameters).
  'bad_signature',
  'missing_signature',
  'stale_timestamp',
  'unsigned_request',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Rejected requests of one pipeline on one UTC day, by reason. */
export interface RejectionCounts {
  pipelineId: number;
  dt: string;
  total: number;
  byReason: Partial<Record<RejectionReason, number>>;
}
