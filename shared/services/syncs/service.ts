// SyncService (shared/ports/syncs.ts) over the engine's ports: the use cases the management API and
// the CLI call. Runs themselves happen in the sync function (engine.ts); this module only claims a
// run and queues its first message, or reads the run records. A sync is a destination of the
// delivery engine: its connection test, header sealing and delivery log are the engine's
// (services/delivery/), as a subscription's are.
import { newSigningSecret } from '../../domain/delivery/signature.ts';
import type { TargetPolicy } from '../../domain/delivery/ssrf.ts';
import { testConnection } from '../delivery/connection-test.ts';
import { sealHeaders } from '../delivery/destinations.ts';
import { deliveryLog } from '../delivery/log.ts';
import { checkStorableUrl } from '../delivery/target-url.ts';
import { SyncDefinitionError, validateSyncDefinition } from '../../domain/syncs/definition.ts';
import { newSyncId } from '../../domain/syncs/ids.ts';
import { isFinalRunStatus } from '../../domain/syncs/runs.ts';
import { nextFireAfter, ScheduleError } from '../../domain/syncs/schedule.ts';
import { log } from '../../logger.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../../domain/list-limits.ts';
import type { ConnectionTestResult, HttpSender, Resolve, SecretCipher } from '../../ports/delivery.ts';
import type { PageRequest } from '../../ports/page.ts';
import { SyncError, type StoredRun, type StoredSync, type Sync, type SyncRun, type SyncService, type SyncWorkspace } from '../../ports/syncs.ts';
import { startRun, type SyncEngineDeps } from './engine.ts';

export interface SyncServiceDeps extends Pick<SyncEngineDeps, 'store' | 'deliveries' | 'eventsQueue' | 'syncQueue' | 'clock'> {
  /** Removes a deleted sync's files (the query engine itself is not needed here). */
  files: Pick<SyncWorkspace, 'deleteSync'>;
  cipher: SecretCipher;
  /** For the connection test. */
  sender: HttpSender;
  resolve: Resolve;
  allowPrivateTargets: boolean;
  /** Local stack only (ssrf.ts TargetPolicy). */
  allowLoopbackTargets?: boolean | undefined;
  /** How often `runSync({wait})` reads the run again (wall clock), default 250 ms. */
  pollIntervalMs?: number | undefined;
}

const DEFAULT_WAIT_MS = 120_000;

/** The page size within the lists' bounds (list-limits.ts). */
const boundedPage = (page: PageRequest): PageRequest => ({ ...page, limit: Math.min(MAX_LIST_LIMIT, Math.max(1, page.limit)) });

export function createSyncService(deps: SyncServiceDeps): SyncService {
  const nowMs = () => Math.floor(deps.clock.nowMs());
  const targetPolicy: TargetPolicy = { allowPrivate: deps.allowPrivateTargets, allowLoopback: deps.allowLoopbackTargets === true };

  async function checkUrl(url: string): Promise<string> {
    const checked = await checkStorableUrl(url, targetPolicy, deps.resolve);
    if (!checked.ok) throw new SyncError('INVALID_TARGET', `webhookUrl refused: ${checked.reason}`);
    return checked.url;
  }

  async function requireSync(id: string): Promise<StoredSync> {
    const sync = await deps.store.getSync(id);
    if (sync === undefined) throw new SyncError('NOT_FOUND', `no sync ${id}`);
    return sync;
  }

  async function setEnabled(id: string, enabled: boolean): Promise<Sync> {
    const current = await requireSync(id);
    const now = nowMs();
    const { nextRunAtMs: _next, ...kept } = current;
    const next: StoredSync = {
      ...kept,
      enabled,
      updatedAt: new Date(now).toISOString(),
      version: current.version + 1,
      // Enabling starts an `every` schedule's count afresh, so it does not fire at once for the time it was off.
      ...(enabled ? { scheduleAnchorMs: now } : {}),
    };
    const fire = enabled ? nextFireAfter(current.schedule, now, next.scheduleAnchorMs) : undefined;
    if (fire !== undefined) next.nextRunAtMs = fire;
    const outcome = await deps.store.replaceSync(next, current.version);
    if (outcome === 'missing') throw new SyncError('NOT_FOUND', `no sync ${id}`);
    if (outcome === 'conflict') throw new SyncError('CONFLICT', `sync ${id} was changed by another request meanwhile: try again`);
    return toSync(next);
  }

  return {
    async createSync(input) {
      let definition;
      try {
        definition = validateSyncDefinition(input);
      } catch (error) {
        if (error instanceof SyncDefinitionError || error instanceof ScheduleError) throw new SyncError('INVALID_REQUEST', error.message);
        throw error;
      }
      const now = nowMs();
      if (definition.schedule.kind === 'cron' && nextFireAfter(definition.schedule, now, now) === undefined) {
        throw new SyncError('INVALID_REQUEST', `the cron expression ${definition.schedule.expression} never fires again`);
      }
      const webhookUrl = await checkUrl(input.webhookUrl);
      const id = newSyncId();
      const secret = newSigningSecret();
      let test: ConnectionTestResult | undefined;
      if (input.skipTest !== true) {
        const destination = { id, webhookUrl, webhookHttpMethod: definition.webhookHttpMethod, format: definition.format, headers: definition.headers };
        test = await testConnection({ sender: deps.sender, clock: deps.clock }, destination, secret);
        if (!test.ok) {
          const answer = test.statusCode === undefined ? (test.errorClass ?? 'no answer') : `HTTP ${test.statusCode}`;
          throw new SyncError('CONNECTION_TEST_FAILED', `the connection test did not get a 2xx answer (${answer}); fix the endpoint or skip the test`, { test });
        }
      }
      const enabled = input.enabled ?? true;
      const sealed = await sealHeaders(definition.headers, id, deps.cipher);
      const at = new Date(now).toISOString();
      const fire = enabled ? nextFireAfter(definition.schedule, now, now) : undefined;
      const stored: StoredSync = {
        id,
        name: definition.name,
        sql: definition.sql,
        primaryKey: definition.primaryKey,
        mode: definition.mode,
        mapping: definition.mapping,
        webhookUrl,
        webhookHttpMethod: definition.webhookHttpMethod,
        format: definition.format,
        // One ciphertext for all header values, bound to the sync id like the secret.
        ...sealed,
        secretCiphertext: await deps.cipher.encrypt(secret, id),
        schedule: definition.schedule,
        ...(definition.pipelineId === undefined ? {} : { pipelineId: definition.pipelineId }),
        scheduleAnchorMs: now,
        ...(fire === undefined ? {} : { nextRunAtMs: fire }),
        enabled,
        createdAt: at,
        updatedAt: at,
        version: 1,
      };
      await deps.store.putSync(stored);
      return { sync: toSync(stored), secret, ...(test === undefined ? {} : { test }) };
    },

    async listSyncs(page = { limit: DEFAULT_LIST_LIMIT }) {
      const listed = await deps.store.listSyncPage(boundedPage(page));
      return { ...listed, items: listed.items.map(toSync) };
    },

    async getSync(id) {
      const sync = await deps.store.getSync(id);
      return sync === undefined ? undefined : toSync(sync);
    },

    async deleteSync(id) {
      const deleted = await deps.store.deleteSync(id);
      if (deleted) await deps.files.deleteSync(id).catch((error: unknown) => log.warn('sync files not removed', { syncId: id, error }));
      return deleted;
    },

    enableSync: (id) => setEnabled(id, true),
    disableSync: (id) => setEnabled(id, false),

    async runSync(id, options = {}) {
      const sync = await requireSync(id);
      if (!sync.enabled) throw new SyncError('CONFLICT', `sync ${id} is disabled: enable it to run it`);
      const outcome = await startRun(deps, sync, 'manual');
      if (outcome === 'missing') throw new SyncError('NOT_FOUND', `no sync ${id}`);
      if ('busy' in outcome) {
        throw new SyncError('CONFLICT', `sync ${id} has a run in progress${outcome.busy === undefined ? '' : ` (${outcome.busy})`}; runs of one sync never overlap`, {
          ...(outcome.busy === undefined ? {} : { activeRunId: outcome.busy }),
        });
      }
      let run = outcome.run;
      if (options.wait === true) {
        const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
        while (!isFinalRunStatus(run.status) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, deps.pollIntervalMs ?? 250));
          run = (await deps.store.getRun(id, run.id)) ?? run;
        }
      }
      return toSyncRun(run);
    },

    async listRuns(id, page = { limit: DEFAULT_LIST_LIMIT }) {
      await requireSync(id);
      const listed = await deps.store.listRuns(id, boundedPage(page));
      return { ...listed, items: listed.items.map(toSyncRun) };
    },

    async getRun(syncId, runId) {
      const run = await deps.store.getRun(syncId, runId);
      return run === undefined ? undefined : toSyncRun(run);
    },

    ...deliveryLog({
      deliveries: deps.deliveries,
      clock: { nowMs },
      queue: () => deps.eventsQueue,
      requireDestination: requireSync,
      deliveryNotFound: (syncId, deliveryId) => new SyncError('NOT_FOUND', `no delivery ${deliveryId} for sync ${syncId}`),
    }),
  };
}

export function toSync(stored: StoredSync): Sync {
  return {
    id: stored.id,
    name: stored.name,
    sql: stored.sql,
    primaryKey: stored.primaryKey,
    mode: stored.mode,
    mapping: stored.mapping.map((pair) => ({ ...pair })),
    webhookUrl: stored.webhookUrl,
    webhookHttpMethod: stored.webhookHttpMethod,
    format: stored.format,
    headerNames: [...stored.headerNames],
    schedule: stored.schedule,
    ...(stored.pipelineId === undefined ? {} : { pipelineId: stored.pipelineId }),
    enabled: stored.enabled,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...(stored.enabled && stored.nextRunAtMs !== undefined ? { nextRunAt: new Date(stored.nextRunAtMs).toISOString() } : {}),
    ...(stored.activeRunId === undefined ? {} : { activeRunId: stored.activeRunId }),
  };
}

export function toSyncRun(run: StoredRun): SyncRun {
  return {
    id: run.id,
    syncId: run.syncId,
    status: run.status,
    trigger: run.trigger,
    startedAt: run.startedAt,
    ...(run.enqueuedAt === undefined ? {} : { enqueuedAt: run.enqueuedAt }),
    ...(run.finishedAt === undefined ? {} : { finishedAt: run.finishedAt }),
    ...(run.error === undefined ? {} : { error: run.error }),
    rows: run.rows,
    counts: { ...run.counts },
    failedRows: { ...run.failedRows },
    delivered: run.delivered,
    failed: run.failed,
    pending: run.pending,
  };
}
