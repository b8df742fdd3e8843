// Fan-out use case: one batch of events-queue messages in (queue-messages.ts), deliveries out.
// This module is the batch policy: each message succeeds or fails on its own (partial batch
// response), malformed ones go to the DLQ through the redrive policy, and a delivery job that
// fails on its last receive ends its delivery `failed` instead of parking it `pending`.
// The parts, by concern:
//   fanout-events.ts       event messages (match, store, first attempts) and rejection summaries
//   fanout-jobs.ts         delivery jobs (retries and redeliveries: current? due? suspended?)
//   fanout-attempt.ts      one attempt: sign, send, count, schedule the retry, write
//   fanout-event-cache.ts  events kept across warm invocations (bounded by count and bytes)
// After an invalid answer: the address's suspension state counts it, recordAttempt schedules the
// next attempt (Kommo: ≤ 4 retries within an hour), and the retry goes back on the queue with
// DelaySeconds BEFORE the delivery is written (so a written "pending" always has its job queued).
// Attempts run with bounded concurrency; a slow endpoint holds one slot, never the others'.
// Never waits for a retry inside the function.
import { MalformedQueueMessageError, parseQueueMessage } from '../../domain/delivery/queue-messages.ts';
import type { RejectionSummaryReader } from '../../ports/ingest.ts';
import type { Clock } from '../../domain/clock.ts';
import { log } from '../../logger.ts';
import { semaphore } from './concurrency.ts';
import type { FanoutContext } from './attempt.ts';
import { eventCache } from './event-cache.ts';
import { PoisonMessageError, handleEvent, handleRejectionSummary } from './event-fanout.ts';
import { describeError, giveUpJob, handleJob } from './jobs.ts';
import type { DeliveryStore, EventStore, EventsQueue, HttpSender } from '../../ports/delivery.ts';
import type { SubscriptionDirectory } from './destinations.ts';
import type { SuspensionTracker } from './suspension-tracker.ts';

export interface FanoutDeps {
  directory: SubscriptionDirectory;
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

export interface FanoutRecord {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount. */
  receiveCount: number;
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

export interface Fanout {
  handleBatch(records: readonly FanoutRecord[]): Promise<{ failedMessageIds: string[]; stats: FanoutStats }>;
}

export function createFanout(deps: FanoutDeps): Fanout {
  const ctx: FanoutContext = {
    deps,
    events: eventCache(),
    limit: semaphore(deps.concurrency),
    now: () => Math.floor(deps.clock.nowMs()),
  };

  return {
    async handleBatch(records) {
      const stats: FanoutStats = { events: 0, jobs: 0, attempts: 0, succeeded: 0, failed: 0, retriesScheduled: 0, redelayed: 0 };
      const failed: string[] = [];
      await Promise.all(
        records.map(async (record) => {
          let message: ReturnType<typeof parseQueueMessage> | undefined;
          try {
            message = parseQueueMessage(record.body);
            if (message.kind === 'event') await handleEvent(ctx, stats, message.event, record.receiveCount);
            else if (message.kind === 'rejection_summary') await handleRejectionSummary(ctx, stats, message, record.receiveCount);
            else await handleJob(ctx, stats, message);
          } catch (error) {
            // On a delivery job's last receive, end its delivery `failed` (visible, redeliverable)
            // rather than leave it `pending` behind a job parked in the DLQ.
            if (message?.kind === 'delivery' && record.receiveCount >= (deps.maxReceiveCount ?? 5) && (await giveUpJob(ctx, message, error))) return;
            failed.push(record.messageId);
            if (error instanceof MalformedQueueMessageError || error instanceof PoisonMessageError) {
              log.warn('malformed events-queue message', { messageId: record.messageId, problem: error.message });
            } else {
              log.error('events-queue message failed; it will be retried', { messageId: record.messageId, error: describeError(error) });
            }
          }
        }),
      );
      return { failedMessageIds: failed, stats };
    },
  };
}
