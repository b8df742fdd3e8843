// Syncs in the local stack: the sync queue (with its DLQ) on fauxqs, the sync function's handler
// behind an SQS poller, and the stack's own scheduler: a timer that queues a `tick` every minute of
// the stack's clock (simulated time included), as the deployed EventBridge schedule does, so
// schedules fire by the same parsing (shared/domain/syncs/schedule.ts) in both places. The same
// timer queues the lake's compaction (`compact_tick`) every hour, and a deeper one every day.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createSyncHandler, SOURCE_PLAN_ENTRY, syncEngineDeps, type SyncOverrides } from '../../functions/sync/app.ts';
import { syncServiceFromConfig } from '../../functions/sync/service.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { sqsSyncQueue } from '../../shared/adapters/sqs/sync-queue.ts';
import { COMPACTION_SWEEP_DAYS, COMPACTION_TICK_DAYS } from '../../shared/domain/syncs/messages.ts';
import type { SyncConfig } from '../../shared/config.ts';
import type { SyncService } from '../../shared/ports/syncs.ts';
import { createSyncEngine } from '../../shared/services/syncs/engine.ts';
import { jsonPollingQueue, startSqsPoller, type SqsHandler } from './sqs-poller.ts';
import { EMULATOR_CREDENTIALS } from '../../shared/adapters/clients/options.ts';
import { jsonSqsCaller } from '../../shared/adapters/sqs/json-transport.ts';

/** The schedule tick: one minute of the stack's clock. */
export const TICK_MS = 60_000;
/** Compaction ticks: every hour of the stack's clock (the deployed schedule: at minute 20 of each hour). */
export const COMPACTION_TICK_MS = 3_600_000;

export interface LocalSyncsOptions {
  /** Everything of SyncConfig but the queue and work dir, which this module provides. */
  config: Omit<SyncConfig, 'syncQueueUrl' | 'workDir'>;
  /** Lake mirror and run files; a temporary directory (removed at stop) when absent. */
  workDir?: string | undefined;
  /**
   * Seconds a received sync message stays invisible (failed messages come back after it). It is
   * extended while the message is being handled: the local sync function has no timeout, so a
   * run that plans for longer is not handed out twice (on AWS the queue's visibility timeout is
   * six times the function's).
   */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** Real ms between ticks; default one minute of the stack's clock (TICK_MS / timeScale). 0 = no timer. */
  tickIntervalMs?: number | undefined;
  /** Real ms between compaction ticks; default an hour of the stack's clock. 0 = none (tests compact by hand). */
  compactionIntervalMs?: number | undefined;
  overrides?: SyncOverrides | undefined;
}

export interface LocalSyncs {
  service: SyncService;
  syncQueueUrl: string;
  syncDlqUrl: string;
  /** Queues a tick now (tests: a schedule check without waiting for the timer). */
  tick(): Promise<void>;
  /** Queues a compaction tick now (tests). */
  compactionTick(days?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalSyncs(options: LocalSyncsOptions): Promise<LocalSyncs> {
  const { aws } = options.config;
  const sqs = sqsClient(aws);
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'hooklake-sync-dlq' }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'hooklake-sync',
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
      },
    }),
  );
  const temporary = options.workDir === undefined ? mkdtempSync(join(tmpdir(), 'hooklake-sync-')) : undefined;
  const config: SyncConfig = { ...options.config, syncQueueUrl: queue.QueueUrl!, workDir: options.workDir ?? temporary! };
  const engineDeps = syncEngineDeps(config, SOURCE_PLAN_ENTRY, { reserveMs: 10_000, ...options.overrides });
  const handler = createSyncHandler(createSyncEngine(engineDeps), engineDeps.compaction) as unknown as SqsHandler;
  const caller = jsonSqsCaller({ region: aws.region, endpoint: aws.endpoints.sqs, credentials: EMULATOR_CREDENTIALS });
  const poller = startSqsPoller({
    name: 'sync',
    queue: jsonPollingQueue(caller),
    queueUrl: queue.QueueUrl!,
    queueArn: `arn:aws:sqs:us-east-1:000000000000:hooklake-sync`,
    handler,
    batchSize: 1,
    batchWindowMs: 0,
    concurrency: 2,
    extendVisibilitySeconds: options.visibilityTimeoutSeconds,
  });
  const service = syncServiceFromConfig(config);
  const ticks = sqsSyncQueue(sqs, queue.QueueUrl!);
  const tick = () => ticks.send([{ message: { v: 1, kind: 'tick' } }]);
  const interval = options.tickIntervalMs ?? TICK_MS / (config.timeScale ?? 1);
  const timer = interval > 0 ? setInterval(() => void tick().catch(() => undefined), interval) : undefined;
  timer?.unref();
  const compactionTick = (days: number = COMPACTION_TICK_DAYS) => ticks.send([{ message: { v: 1, kind: 'compact_tick', days } }]);
  const compactionInterval = options.compactionIntervalMs ?? COMPACTION_TICK_MS / (config.timeScale ?? 1);
  let compactionTicks = 0;
  const compactionTimer =
    compactionInterval > 0
      ? setInterval(() => void compactionTick(++compactionTicks % 24 === 0 ? COMPACTION_SWEEP_DAYS : COMPACTION_TICK_DAYS).catch(() => undefined), compactionInterval)
      : undefined;
  compactionTimer?.unref();
  return {
    service,
    syncQueueUrl: queue.QueueUrl!,
    syncDlqUrl: dlq.QueueUrl!,
    tick,
    compactionTick,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      if (compactionTimer !== undefined) clearInterval(compactionTimer);
      const polling = poller.stop();
      engineDeps.workspace.close?.(); // a query in progress is stopped; its message comes back at the next start
      await polling;
      await service.close();
      engineDeps.close();
      sqs.destroy();
      caller.destroy();
      if (temporary !== undefined) rmSync(temporary, { recursive: true, force: true });
    },
  };
}
