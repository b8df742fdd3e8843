// What the management API (and the CLI's admin bootstrap) needs from storage.
import type { PipelineRecord, RejectionCounts, TokenRecord } from '../domain/ingest/records.ts';
import type { StoredVerification } from '../domain/ingest/signatures/settings.ts';
import type { Page, PageRequest } from './page.ts';
import type { AdminRecord } from '../domain/credentials.ts';

/** A token as the API shows it: never its hash. */
export type TokenInfo = Omit<TokenRecord, 'tokenSha256'>;

/** A freshly created token: the only moment its secret exists outside the caller's hands. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

export interface CreatedAdmin extends AdminRecord {
  /** `hla_<id>_<secret>`, shown once; only its SHA-256 is stored. */
  credential: string;
}

/** Thrown by createToken when its scope names pipelines that do not exist. */
export class UnknownPipelinesError extends Error {
  readonly pipelineIds: number[];
  constructor(pipelineIds: number[]) {
    super(`unknown pipeline${pipelineIds.length === 1 ? '' : 's'}: ${pipelineIds.join(', ')}`);
    this.name = 'UnknownPipelinesError';
    this.pipelineIds = pipelineIds;
  }
}

export interface ManagementStore {
  /** Allocates the next numeric id (1, 2, ...) and stores the pipeline. */
  createPipeline(input: { name: string; createdAt: string }): Promise<PipelineRecord>;
  /** A page in id order (`after`: a pipeline id). */
  listPipelines(page: PageRequest<number>): Promise<Page<PipelineRecord, number>>;
  getPipeline(id: number): Promise<PipelineRecord | undefined>;
  /** The deleted pipeline, or undefined when there was none. */
  deletePipeline(id: number): Promise<PipelineRecord | undefined>;
  /** Sets (replaces) the pipeline's signature verification; undefined when there is no such pipeline. */
  setVerification(id: number, verification: StoredVerification): Promise<PipelineRecord | undefined>;
  /** Removes it (idempotent); undefined when there is no such pipeline. */
  clearVerification(id: number): Promise<PipelineRecord | undefined>;

  /**
   * Creates a key and a random token and stores only the token's SHA-256.
   * `pipelines` undefined = any pipeline; ids that do not exist → UnknownPipelinesError.
   */
  createToken(input: { name: string; pipelines?: number[] | undefined; createdAt: string }): Promise<CreatedToken>;
  /** A page in key order (`after`: a token key). */
  listTokens(page: PageRequest): Promise<Page<TokenInfo>>;
  getToken(key: string): Promise<TokenInfo | undefined>;
  /** Sets revokedAt once; revoking again returns the token with its first revokedAt. Undefined when unknown. */
  revokeToken(key: string, revokedAt: string): Promise<TokenInfo | undefined>;

  createAdmin(input: { name: string; createdAt: string }): Promise<CreatedAdmin>;
  /** A page in id order, revoked ones included (`after`: an admin id). */
  listAdmins(page: PageRequest): Promise<Page<AdminRecord>>;
  findAdmin(id: string): Promise<AdminRecord | undefined>;
  /** Sets revokedAt once (idempotent, as revokeToken); undefined when there is no such admin. */
  revokeAdmin(id: string, revokedAt: string): Promise<AdminRecord | undefined>;

  /** Rejection counts of a pipeline for the days `sinceDt` (YYYY-MM-DD) and later, most recent first. */
  rejectionCounts(pipelineId: number, sinceDt: string): Promise<RejectionCounts[]>;
}
