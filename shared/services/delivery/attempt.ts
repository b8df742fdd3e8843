// One delivery attempt, shared by first attempts (event-fanout.ts) and retries and redeliveries
// (jobs.ts), whatever the destination: sign and send once a concurrency slot is free, count an
// invalid answer towards the address's suspension, schedule the retry (queued BEFORE the delivery
// is written, so a written "pending" always has its job), then write the delivery conditionally.
import { buildDeliveryRequest, type DeliveryRequest } from '../../domain/delivery/request.ts';
import type { DeliveryEnvelope } from '../../domain/delivery/events.ts';
import { recordAttempt, type AttemptResult, type DeliveryRecord } from '../../domain/delivery/log.ts';
import { PayloadEncodingError, UrlTooLongError } from '../../domain/delivery/payload-encoding.ts';
import { addressOf, deliveryJob } from '../../domain/delivery/queue-messages.ts';
import { classifyResponse } from '../../domain/delivery/retry-policy.ts';
import { emptySuspensionState } from '../../domain/delivery/suspension.ts';
import { log } from '../../logger.ts';
import type { Destination } from '../../ports/delivery.ts';
import { jobEntry, type FanoutContext, type FanoutStats } from './context.ts';

export type AttemptWrite = { create: true } | { create: false; expectedAttemptCount: number };

export async function attemptDelivery(
  ctx: FanoutContext,
  stats: FanoutStats,
  initial: DeliveryRecord,
  destination: Destination,
  envelope: DeliveryEnvelope,
  write: AttemptWrite,
): Promise<void> {
  const { deps } = ctx;
  const record = { ...initial, address: addressOf(destination.webhookUrl) };
  const secret = await deps.directory.secretOf(destination);
  const headers = await deps.directory.headersOf(destination);
  // Timed and signed once a slot is free: the attempt's time (log, retry schedule, suspension
  // count) and its `webhook-timestamp` are when it is sent, however long it waited for the slot.
  const result = await ctx.limit(async (): Promise<AttemptResult> => {
    const at = ctx.now();
    let request: DeliveryRequest;
    try {
      request = buildDeliveryRequest({
        target: { ...destination, headers },
        envelope,
        webhookId: record.webhookId,
        secret,
        timestamp: Math.floor(at / 1000),
        maxUrlLength: deps.maxUrlLength,
      });
    } catch (error) {
      if (error instanceof UrlTooLongError) {
        return { at, latencyMs: 0, classification: classifyResponse({ error: 'url_too_long' }) };
      }
      if (error instanceof PayloadEncodingError) {
        return {
          at,
          latencyMs: 0,
          classification: { valid: false, errorClass: `encoding_${error.code}`, retryable: false, countsTowardSuspension: false },
        };
      }
      throw error;
    }
    const sent = await deps.sender.send(request);
    return {
      at,
      latencyMs: sent.latencyMs,
      statusCode: sent.statusCode,
      classification: classifyResponse(sent.outcome),
      responseSnippet: sent.responseSnippet,
    };
  });
  const { at } = result;
  stats.attempts++;
  const { classification } = result;
  const state = !classification.valid && classification.countsTowardSuspension
    ? await deps.suspension.recordInvalid(record.address, at)
    : emptySuspensionState();
  const applied = recordAttempt(record, result, { suspension: state, random: deps.random });
  if (applied.retryAt !== undefined) {
    const job = deliveryJob(applied.record, applied.retryAt);
    await deps.queue.send([jobEntry(ctx, job, ctx.now())]);
    stats.retriesScheduled++;
  }
  if (applied.record.status === 'succeeded') stats.succeeded++;
  if (applied.record.status === 'failed') stats.failed++;
  const written = write.create
    ? await deps.deliveries.create(applied.record)
    : await deps.deliveries.replace(applied.record, write.expectedAttemptCount);
  if (!written) {
    log.info('delivery attempt already recorded by a concurrent run', { deliveryId: record.id, destinationId: record.destinationId });
  }
}

/** Ends a delivery `failed` without sending anything (its destination or event is gone, or its job cannot run). */
export async function endWithoutAttempt(ctx: FanoutContext, record: DeliveryRecord, reason: string): Promise<void> {
  log.warn('delivery ended without an attempt', { deliveryId: record.id, destinationId: record.destinationId, reason });
  await ctx.deps.deliveries.replace(
    { ...record, status: 'failed', nextAttemptAt: undefined, updatedAt: new Date(ctx.now()).toISOString() },
    record.attemptCount,
  );
}
