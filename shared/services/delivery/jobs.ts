// Delivery jobs of the fan-out: one more attempt of a recorded delivery, to a subscription or a
// sync alike (a sync's row-ops arrive only as jobs), if the job is still current (`seq`), due
// (else re-delayed: SQS delays stop at 15 min), and, for automatic retries, the address is not
// suspended (else re-delayed to the suspension's end: delayed, never dropped).
import { buildEnvelope } from '../../domain/delivery/events.ts';
import { addressOf, type DeliveryJob } from '../../domain/delivery/queue-messages.ts';
import { isSuspended, retryNotBefore } from '../../domain/delivery/suspension.ts';
import { log } from '../../logger.ts';
import type { StoredEvent } from '../../ports/delivery.ts';
import { attemptDelivery, endWithoutAttempt } from './attempt.ts';
import { jobEntry, type FanoutContext, type FanoutStats } from './context.ts';

async function loadEvent(ctx: FanoutContext, eventId: string): Promise<StoredEvent | undefined> {
  const cached = ctx.events.get(eventId);
  if (cached !== undefined) return cached;
  const stored = await ctx.deps.events.get(eventId);
  if (stored !== undefined) ctx.events.put(stored);
  return stored;
}

export async function handleJob(ctx: FanoutContext, stats: FanoutStats, job: DeliveryJob): Promise<void> {
  const { deps } = ctx;
  stats.jobs++;
  const record = await deps.deliveries.get(job.destinationId, job.deliveryId);
  // The attempt that queued this job writes the delivery just after: a job that finds no delivery
  // (of an event still kept) or fewer attempts than it counts came before that write. It is
  // retried, not dropped, or the delivery would be left pending without a job.
  if (record === undefined && (await loadEvent(ctx, job.eventId)) === undefined) return; // expired: nothing to do
  if (record === undefined || record.attemptCount < job.seq) {
    throw new Error(`delivery ${job.deliveryId} is not written yet for attempt ${job.seq + 1}`);
  }
  if (record.attemptCount !== job.seq) return; // a duplicate or superseded job
  if (job.manual !== true && record.status !== 'pending') return;
  const now = ctx.now();
  if (job.dueAt > now) {
    stats.redelayed++;
    await deps.queue.send([jobEntry(ctx, job, now)]);
    return;
  }
  const destination = await deps.directory.get(job.destinationId);
  if (destination === undefined) return endWithoutAttempt(ctx, record, 'destination_deleted');
  if (!destination.enabled && job.manual !== true) return endWithoutAttempt(ctx, record, 'destination_disabled');
  if (job.manual !== true) {
    const address = addressOf(destination.webhookUrl);
    const state = await deps.suspension.current(address);
    if (isSuspended(state, now)) {
      const dueAt = retryNotBefore(state, now, job.dueAt, deps.random);
      stats.redelayed++;
      await deps.queue.send([jobEntry(ctx, { ...job, dueAt }, now)]);
      await deps.deliveries.replace(
        { ...record, nextAttemptAt: new Date(dueAt).toISOString(), updatedAt: new Date(now).toISOString() },
        record.attemptCount,
      );
      return;
    }
  }
  const event = await loadEvent(ctx, job.eventId);
  if (event === undefined) return endWithoutAttempt(ctx, record, 'event_expired');
  const envelope = buildEnvelope({ type: event.type, id: event.id, timestamp: event.timestamp, dataJson: event.dataJson });
  // A redelivery on demand starts a fresh retry budget; the log and numbering continue.
  const base = job.manual === true ? { ...record, windowAttempts: 0, windowStartAt: undefined } : record;
  await attemptDelivery(ctx, stats, base, destination, envelope, { create: false, expectedAttemptCount: job.seq });
}

/** True when the job's delivery is now `failed`, so its message can be let go (its last receive). */
export async function giveUpJob(ctx: FanoutContext, job: DeliveryJob, error: unknown): Promise<boolean> {
  try {
    const record = await ctx.deps.deliveries.get(job.destinationId, job.deliveryId);
    if (record === undefined || record.status !== 'pending') return false;
    log.error('delivery job failed on its last receive; the delivery ends failed', { deliveryId: job.deliveryId, error: describeError(error) });
    await endWithoutAttempt(ctx, record, 'processing_failed');
    return true;
  } catch {
    return false;
  }
}

export function describeError(error: unknown): unknown {
  if (error instanceof AggregateError) return { message: error.message, first: (error.errors[0] as Error | undefined)?.message };
  return error;
}
