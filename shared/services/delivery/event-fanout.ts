// Event messages of the fan-out: every enabled subscription whose events (and pipeline filter)
// match gets a delivery planned from the event and the subscription (planner.ts); its first
// attempt runs once the event is stored (conditional on its absence). The delivery is written
// after that attempt with a condition on its absence, so a re-received event message never records
// a delivery twice; and when the event was stored already (a re-received message, or the same
// event published again by a re-processed ingest batch), deliveries already recorded are not
// attempted again. Rejection summaries become one `webhook_rejected` event, fanned out the same way.
import { buildEnvelope, matchesSubscription, type DeliveryEnvelope } from '../../domain/delivery/events.ts';
import { expiresAtFor } from '../../domain/delivery/log.ts';
import type { OutboundEvent, RejectionSummaryJob } from '../../domain/delivery/queue-messages.ts';
import { rejectionSummaryEvent } from '../../domain/delivery/built-in-events.ts';
import type { StoredEvent } from '../../ports/delivery.ts';
import { attemptDelivery } from './attempt.ts';
import type { FanoutContext, FanoutStats } from './context.ts';
import { planDeliveries } from './planner.ts';

/** Something that can never succeed on a retry: the message goes to the DLQ through the redrive policy. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export async function handleEvent(ctx: FanoutContext, stats: FanoutStats, event: OutboundEvent, receiveCount: number): Promise<void> {
  const { deps } = ctx;
  stats.events++;
  const target = { type: event.type, ...(event.pipelineId === undefined ? {} : { pipelineId: event.pipelineId }) };
  const matched = (await deps.directory.subscriptions()).filter((subscription) => matchesSubscription(subscription, target));
  if (matched.length === 0) return;
  let envelope: DeliveryEnvelope;
  try {
    envelope = buildEnvelope({ type: event.type, id: event.id, timestamp: event.timestamp, dataJson: event.dataJson });
  } catch (error) {
    throw new PoisonMessageError(`event ${event.id}: ${(error as Error).message}`);
  }
  const now = ctx.now();
  const stored: StoredEvent = { ...event, expiresAt: expiresAtFor(now, deps.retentionDays) };
  // Stored (for retries and redelivery) before any delivery that points at it is written. An event
  // stored already may have recorded deliveries: a re-received message, or the same event in a new
  // message (the processor re-publishes a re-processed batch's events with the same ids).
  const isNew = await deps.events.put(stored);
  ctx.events.put(stored);
  const plan = await planDeliveries(
    deps.deliveries,
    matched.map((subscription) => ({ event, destination: subscription })),
    { now, retentionDays: deps.retentionDays, checkRecorded: !isNew || receiveCount > 1 },
  );
  const outcomes = await Promise.allSettled(
    plan.fresh.map(({ record, destination }) => attemptDelivery(ctx, stats, record, destination, envelope, { create: true })),
  );
  const failures = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((failure) => failure.reason as unknown),
      `${failures.length} of ${outcomes.length} deliveries of event ${event.id} could not be completed`,
    );
  }
}

/**
 * A pipeline's rejection summary window is over: its counts become one `webhook_rejected` event,
 * fanned out like any other (its id derives from pipeline and window, so a summary read twice is
 * delivered once). A window without counts sends nothing.
 */
export async function handleRejectionSummary(ctx: FanoutContext, stats: FanoutStats, job: RejectionSummaryJob, receiveCount: number): Promise<void> {
  const reader = ctx.deps.rejectionSummaries;
  if (reader === undefined) throw new Error('rejection summaries are not configured in this fan-out');
  const summary = await reader.getSummary(job.pipelineId, job.windowStart);
  if (summary === undefined || summary.total <= 0) return;
  await handleEvent(ctx, stats, rejectionSummaryEvent({ ...summary, windowEnd: job.windowEnd }), receiveCount);
}
