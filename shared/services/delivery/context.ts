// What the parts of one fan-out instance share (fanout.ts assembles them): its dependencies, the
// counts of a batch, the event cache and the attempt slots. Here, apart from every part, so each
// part imports it and none imports another part's assembler.
import type { Clock } from '../../domain/clock.ts';
import { serializeQueueMessage, type DeliveryJob } from '../../domain/delivery/queue-messages.ts';
import { sqsDelaySeconds } from '../../domain/delivery/time-scale.ts';
import type { DeliveryStore, DestinationDirectory, EventsQueue, EventStore, HttpSender, QueueEntry } from '../../ports/delivery.ts';
import type { RejectionSummaryReader } from '../../ports/ingest.ts';
import type { EventCache } from './event-cache.ts';
import type { SuspensionTracker } from './suspension-tracker.ts';

export interface FanoutDeps {
  /** Subscriptions (to match events) and any destination by id (a job's subscription or sync). */
  directory: DestinationDirectory;
  events: EventStore;
  deliveries: DeliveryStore;
  suspension: SuspensionTracker;
  queue: EventsQueue;
  sender: HttpSender;
  /** The fan-out clock (scaled in the local stack's simulated time). */
  clock: Clock;
  random: () => number;
  /** How much faster `clock` runs than SQS delays: delays shrink by this factor. Default 1. */
  timeScale?: number;
  /** Attempts in flight at once. */
  concurrency: number;
  retentionDays: number;
  maxUrlLength?: number | undefined;
  /** The events queue's maxReceiveCount (default 5, as deployed): see handleBatch. */
  maxReceiveCount?: number | undefined;
  /** Reads the processor's rejection summary windows (rejection_summary messages). */
  rejectionSummaries?: RejectionSummaryReader | undefined;
}

export interface FanoutStats {
  events: number;
  jobs: number;
  attempts: number;
  succeeded: number;
  failed: number;
  retriesScheduled: number;
  redelayed: number;
}

export const emptyStats = (): FanoutStats => ({ events: 0, jobs: 0, attempts: 0, succeeded: 0, failed: 0, retriesScheduled: 0, redelayed: 0 });

/** One fan-out instance: its deps and what its parts share across batches. */
export interface FanoutContext {
  deps: FanoutDeps;
  events: EventCache;
  /** Runs `fn` once one of the `concurrency` attempt slots is free. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Whole milliseconds of the fan-out clock: the times stored and compared (suspension, schedule) stay integers. */
  now(): number;
}

/** A delivery job as a queue entry, delayed until its `dueAt` (SQS delays shrink with the time scale). */
export function jobEntry(ctx: FanoutContext, job: DeliveryJob, now: number): QueueEntry {
  return { body: serializeQueueMessage(job), delaySeconds: sqsDelaySeconds(job.dueAt, now, ctx.deps.timeScale ?? 1) };
}
