// Fan-out use case: one batch of events-queue messages in (queue-messages.ts), deliveries out.
// This module is the batch policy: each message succeeds or fails on its own (partial batch
// response), malformed ones go to the DLQ through the redrive policy, and a delivery job that
// fails on its last receive ends its delivery `failed` instead of parking it `pending`.
// The parts, by concern:
//   event-fanout.ts    event messages (match, store, plan, first attempts) and rejection summaries
//   jobs.ts            delivery jobs (retries and redeliveries: current? due? suspended?)
//   attempt.ts         one attempt: sign, send, count, schedule the retry, write
//   planner.ts         the deliveries of (event, destination) pairs, shared with the sync engine
//   event-cache.ts     events kept across warm invocations (bounded by count and bytes)
//   context.ts         what they share: deps, stats, the cache and the attempt slots
// After an invalid answer: the address's suspension state counts it, recordAttempt schedules the
// next attempt (Kommo: ≤ 4 retries within an hour), and the retry goes back on the queue with
// DelaySeconds BEFORE the delivery is written (so a written "pending" always has its job queued).
// Attempts run with bounded concurrency; a slow endpoint holds one slot, never the others'.
// Never waits for a retry inside the function.
import { MalformedQueueMessageError, parseQueueMessage } from '../../domain/delivery/queue-messages.ts';
import { log } from '../../logger.ts';
import { semaphore } from '../../domain/concurrency.ts';
import { emptyStats, type FanoutContext, type FanoutDeps, type FanoutStats } from './context.ts';
import { eventCache } from './event-cache.ts';
import { PoisonMessageError, handleEvent, handleRejectionSummary } from './event-fanout.ts';
import { describeError, giveUpJob, handleJob } from './jobs.ts';

export type { FanoutDeps, FanoutStats };

export interface FanoutRecord {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount. */
  receiveCount: number;
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
      const stats = emptyStats();
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
