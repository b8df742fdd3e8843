// Syncs: a query over the lake, diffed against what was last delivered, sent row by row to a
// webhook: the other kind of destination of the delivery engine (ports/delivery.ts). Two
// contracts live here:
//
// - `SyncService`: what the management API and the CLI call (create with a connection test, list,
//   get, delete, enable, disable, run now, runs, the delivery log); shared/services/syncs/service.ts.
// - The sync engine's ports (store, row-op writer, workspace and its query error, queue),
//   implemented in shared/adapters/dynamodb/, duckdb/, sqs/ and used by shared/services/syncs/engine.ts.
import type { DeliveryRecord } from '../domain/delivery/log.ts';
import type { FieldMapping, SyncDefinitionInput, SyncMode, SyncOp } from '../domain/syncs/definition.ts';
import type { FailedRowCounts, OpCounts, SyncRunStatus, SyncTrigger } from '../domain/syncs/runs.ts';
import type { SyncSchedule } from '../domain/syncs/schedule.ts';
import type { SyncQueueMessage } from '../domain/syncs/messages.ts';
import type { ConnectionTestResult, DeliveryLog, StoredEvent } from './delivery.ts';
import type { Page, PageRequest } from './page.ts';

// ---------------------------------------------------------------- the service

export interface SyncInput extends SyncDefinitionInput {
  webhookUrl: string;
  /** Default true. A disabled sync neither runs on its schedule nor on demand. */
  enabled?: boolean | undefined;
  /** Skip the connection test (a signed ping that must answer 2xx). */
  skipTest?: boolean | undefined;
}

/** A sync as the API shows it: never its secret, never a custom header's value. */
export interface Sync {
  id: string;
  name: string;
  sql: string;
  primaryKey: string;
  mode: SyncMode;
  /** Empty = every column under its own name. */
  mapping: FieldMapping[];
  webhookUrl: string;
  webhookHttpMethod: 'POST' | 'GET';
  format: 'json' | 'form';
  headerNames: string[];
  schedule: SyncSchedule;
  /** The only pipeline the query sees (absent = the whole lake). */
  pipelineId?: number | undefined;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  /** When the schedule fires next (enabled scheduled syncs only). */
  nextRunAt?: string | undefined;
  /** The run in progress, if any. */
  activeRunId?: string | undefined;
}

export interface SyncRun {
  id: string;
  syncId: string;
  status: SyncRunStatus;
  trigger: SyncTrigger;
  startedAt: string;
  /** When the last row-op was enqueued (the run then waits for its deliveries). */
  enqueuedAt?: string | undefined;
  finishedAt?: string | undefined;
  /** Why the run failed: the query engine's message, or how many deliveries failed. */
  error?: string | undefined;
  /** Rows the query returned. */
  rows: number;
  /** Row-ops of the run by op (what the destination is sent). */
  counts: OpCounts;
  /** Rows not sent: null or repeated primary key, payload too large. */
  failedRows: FailedRowCounts;
  /** Deliveries of the run's row-ops: succeeded, ended failed, still pending. */
  delivered: number;
  failed: number;
  pending: number;
}

export class SyncError extends Error {
  override name = 'SyncError';
  readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID_REQUEST' | 'INVALID_TARGET' | 'CONNECTION_TEST_FAILED';
  /** CONNECTION_TEST_FAILED: how the endpoint answered. */
  readonly test?: ConnectionTestResult | undefined;
  /** CONFLICT of a run request: the run in progress. */
  readonly activeRunId?: string | undefined;
  constructor(code: SyncError['code'], message: string, details: { test?: ConnectionTestResult; activeRunId?: string } = {}) {
    super(message);
    this.code = code;
    this.test = details.test;
    this.activeRunId = details.activeRunId;
  }
}

export interface RunOptions {
  /** Resolve only when the run is succeeded or failed (or `timeoutMs` passed: the run as it is then). */
  wait?: boolean | undefined;
  timeoutMs?: number | undefined;
}

/** Syncs and their runs, and their delivery log (one delivery per row-op, keyed by the sync id; redelivery never changes a finished run). */
export interface SyncService extends DeliveryLog {
  /**
   * Validates the definition, checks the URL against the SSRF rules, sends a signed ping (refused
   * with CONNECTION_TEST_FAILED and the answer unless it is 2xx or `skipTest`), stores the sync and
   * returns its signing secret, once.
   */
  createSync(input: SyncInput): Promise<{ sync: Sync; secret: string; test?: ConnectionTestResult | undefined }>;
  /** A page of syncs in id order (default: the first 100). */
  listSyncs(page?: PageRequest): Promise<Page<Sync>>;
  getSync(id: string): Promise<Sync | undefined>;
  /** False when there was nothing to delete. A run in progress ends failed; its snapshot is removed. */
  deleteSync(id: string): Promise<boolean>;
  enableSync(id: string): Promise<Sync>;
  disableSync(id: string): Promise<Sync>;
  /** Starts a run now; CONFLICT (with `activeRunId`) while one is in progress or when the sync is disabled. */
  runSync(id: string, options?: RunOptions): Promise<SyncRun>;
  /** A page of the sync's runs, newest first (default: the first 100); NOT_FOUND for an unknown sync. */
  listRuns(id: string, page?: PageRequest): Promise<Page<SyncRun>>;
  getRun(syncId: string, runId: string): Promise<SyncRun | undefined>;
}

// ---------------------------------------------------------------- the engine's ports

/** A sync as stored: the API's view plus what only the engine sees. */
export interface StoredSync extends Omit<Sync, 'nextRunAt'> {
  secretCiphertext: string;
  headersCiphertext?: string | undefined;
  /** Incremented by every update: the condition of `SyncStore.replaceSync`. */
  version: number;
  /** Epoch ms an `every` schedule counts from (creation, or the last enabling). */
  scheduleAnchorMs: number;
  nextRunAtMs?: number | undefined;
  /** Epoch ms the active run was claimed. */
  activeRunAtMs?: number | undefined;
  /** Start of the latest run: the next starts at least 1 ms later, so each run's deliveries are its own id range. */
  lastRunStartMs?: number | undefined;
}

export interface StoredRun extends SyncRun {
  /** Epoch ms (engine clock): the time of every row-op event of the run. */
  startedAtMs: number;
  totalOps: number;
  /** First row-op not yet enqueued (totalOps + 1 when all are). */
  nextRowNum: number;
  /** The chunk at nextRowNum was begun by an invocation that did not finish it: resume it carefully. */
  chunkStarted: boolean;
  /** True once the diff is computed and its row-ops stored. */
  planned: boolean;
  /** Completion checks made so far (their spacing grows). */
  checks: number;
  /** Deliveries counted final by an earlier check, per op and status. */
  settled?: SettledCounts | undefined;
  /** Delivery ids still pending at the last check, when few (later checks read only these). */
  trackedPending?: string[] | undefined;
  /** Epoch ms (engine clock) after which pending deliveries no longer hold the run open. */
  deadlineMs?: number | undefined;
  version: number;
  /** Epoch seconds (TTL). */
  expiresAt: number;
}

export interface SettledCounts {
  delivered: number;
  failed: number;
}

export type ClaimOutcome = 'claimed' | 'busy' | 'missing';

export interface SyncStore {
  putSync(sync: StoredSync): Promise<void>;
  getSync(id: string): Promise<StoredSync | undefined>;
  /** Every sync (the engine's tick). */
  listSyncs(): Promise<StoredSync[]>;
  /** A page of syncs in id order. */
  listSyncPage(page: PageRequest): Promise<Page<StoredSync>>;
  /** Conditional on `expectedVersion`; never touches the run claim or trigger fields. */
  replaceSync(sync: StoredSync, expectedVersion: number): Promise<'replaced' | 'missing' | 'conflict'>;
  deleteSync(id: string): Promise<boolean>;
  /** Takes the sync's run claim when it is free (or older than `staleBeforeMs`). */
  claimRun(syncId: string, claim: { runId: string; atMs: number; runStartMs: number; staleBeforeMs: number }): Promise<ClaimOutcome>;
  /** Frees the claim if `runId` still holds it. */
  releaseRun(syncId: string, runId: string): Promise<boolean>;
  /** Moves `nextRunAtMs` from the value read to the next one: only one trigger per fire time. */
  advanceSchedule(syncId: string, expectedNextRunAtMs: number, nextRunAtMs: number | undefined): Promise<boolean>;
  /** `expectedVersion` undefined = only if absent. */
  putRun(run: StoredRun, expectedVersion: number | undefined): Promise<boolean>;
  getRun(syncId: string, runId: string): Promise<StoredRun | undefined>;
  /** A page of a sync's runs, newest first (`after`: a run id; run ids sort by start). */
  listRuns(syncId: string, page: PageRequest): Promise<Page<StoredRun>>;
}

/** Writes a chunk's row-op events and their pending deliveries (unconditionally: the caller knows they are new). */
export interface RowOpWriter {
  write(events: readonly StoredEvent[], deliveries: readonly DeliveryRecord[]): Promise<void>;
}

/** One planned row-op, as the diff numbered it. */
export interface PlannedRowOp {
  rowNum: number;
  op: SyncOp;
  /** The primary key as text. */
  key: string;
  /** The mapped row as JSON text (for mirror's deletes, the row last delivered). */
  rowJson: string;
  /** Too large to send (key and row past an event's data bound): key and rowJson are empty. */
  tooLarge?: boolean | undefined;
}

export interface PlanResult {
  rows: number;
  counts: OpCounts;
  failedRows: Pick<FailedRowCounts, 'null_primary_key' | 'duplicate_primary_key'>;
  totalOps: number;
}

export interface RunRef {
  syncId: string;
  runId: string;
}

/** The sync's query cannot run (DuckDB's message, or not one SELECT): the run ends failed with it. */
export class SyncQueryError extends Error {
  override name = 'SyncQueryError';
}

/** The query engine and the files of a run: the lake mirror, the run's row-ops, the sync's snapshot. */
export interface SyncWorkspace {
  /** Mirrors the lake, runs the query, diffs it with the snapshot and stores the row-ops durably; SyncQueryError when the query fails. */
  plan(
    ref: RunRef,
    definition: { sql: string; primaryKey: string; mapping: readonly FieldMapping[]; mode: SyncMode; pipelineId?: number | undefined },
  ): Promise<PlanResult>;
  /** Row-ops `from`..`to` inclusive, in order. */
  readOps(ref: RunRef, from: number, to: number): Promise<PlannedRowOp[]>;
  /** Folds the delivered row-ops (by number, any order, pages of any size) into the sync's snapshot. */
  fold(ref: RunRef, mode: SyncMode, delivered: AsyncIterable<readonly number[]>): Promise<void>;
  /** Drops the run's row-ops (after its fold). */
  discard(ref: RunRef): Promise<void>;
  /** Drops everything of a deleted sync. */
  deleteSync(syncId: string): Promise<void>;
  /** Releases what it holds open (a DuckDB instance). */
  close?(): void;
}

export interface SyncQueueEntry {
  message: SyncQueueMessage;
  delaySeconds?: number | undefined;
}

/** The sync queue: triggers, run continuations and completion checks. */
export interface SyncQueue {
  send(entries: readonly SyncQueueEntry[]): Promise<void>;
}
