// Fan-out use case: one batch of events-queue messages in (queue-messages.ts), deliveries out.
//
// - event message: every enabled subscription whose events (and pipeline filter) match gets a
//   delivery whose id derives from event id + subscription id; its first attempt runs once the
//   event is stored (conditional on its absence). The delivery is written after that attempt with
//   a condition on its absence, so a re-received event message never records a delivery twice; and
//   when the event was stored already (a re-received message, or the same event published again by
//   a re-processed ingest batch), deliveries already recorded are not attempted again.
// - delivery job: one more attempt of a recorded delivery, if the job is still current (`seq`),
//   due (else re-delayed: SQS delays stop at 15 min), and — for automatic retries — the address is
//   not suspended (else re-delayed to the suspension's end: delayed, never dropped).
// After an invalid answer: the address's suspension state counts it, recordAttempt schedules the
// next attempt (Kommo: ≤ 4 retries within an hour), and the retry goes back on the queue with
// DelaySeconds BEFORE the delivery is written (so a written "pending" always has its job queued).
// Attempts run with bounded concurrency; a slow endpoint holds one slot, never the others'.
// Never waits for a retry inside the function; every message succeeds or fails on its own.
import { buildDeliveryRequest, type DeliveryRequest } from '../domain/outbound/delivery-request.ts';
import { buildEnvelope, deliveryMessageId, matchesSubscription, type DeliveryEnvelope } from '../domain/outbound/events.ts';
import {
  expiresAtFor,
  newDeliveryRecord,
  recordAttempt,
  type AttemptResult,
  type DeliveryRecord,
} from '../domain/outbound/delivery-log.ts';
import { PayloadEncodingError, UrlTooLongError } from '../domain/outbound/payload-encoding.ts';
import {
  addressOf,
  deliveryIdFor,
  eventDataBytes,
  MalformedQueueMessageError,
  parseQueueMessage,
  serializeQueueMessage,
  deliveryJob,
  type DeliveryJob,
  type OutboundEvent,
  type RejectionSummaryJob,
} from '../domain/outbound/queue-messages.ts';
import { rejectionSummaryEvent } from '../domain/outbound/built-in-events.ts';
import type { RejectionSummaryReader } from '../ports/ingest.ts';
import { classifyResponse } from '../domain/outbound/retry-policy.ts';
import { emptySuspensionState, isSuspended, retryNotBefore } from '../domain/outbound/suspension.ts';
import { sqsDelaySeconds } from '../domain/outbound/time-scale.ts';
import type { Clock } from '../domain/clock.ts';
import { log } from '../logger.ts';
import type { DeliveryStore, EventStore, EventsQueue, HttpSender, QueueEntry, StoredEvent, StoredSubscription } from './outbound-ports.ts';
import type { SubscriptionDirectory } from './outbound-subscriptions.ts';
import type { SuspensionTracker } from './outbound-suspension.ts';

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

/** Events kept for retries across warm invocations: at most this many, holding at most EVENT_CACHE_BYTES of data. */
const EVENT_CACHE_ENTRIES = 2000;
/** Events carry up to 256 KiB each: 2000 of them would not fit the function's memory. */
export const EVENT_CACHE_BYTES = 32 * 1024 * 1024;

/** Something that can never succeed on a retry: the message goes to the DLQ through the redrive policy. */
class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export function createFanout(deps: FanoutDeps): Fanout {
  const limit = semaphore(deps.concurrency);
  const scale = deps.timeScale ?? 1;
  const eventCache = new Map<string, { event: StoredEvent; bytes: number }>();
  let eventCacheBytes = 0;
  /** Oldest entries leave first, so the cache stays within both limits. */
  function cacheEvent(event: StoredEvent): void {
    const previous = eventCache.get(event.id);
    if (previous !== undefined) {
      eventCache.delete(event.id);
      eventCacheBytes -= previous.bytes;
    }
    const bytes = eventDataBytes(event.dataJson);
    eventCache.set(event.id, { event, bytes });
    eventCacheBytes += bytes;
    while (eventCache.size > EVENT_CACHE_ENTRIES || eventCacheBytes > EVENT_CACHE_BYTES) {
      const [oldestId, oldest] = eventCache.entries().next().value!;
      eventCache.delete(oldestId);
      eventCacheBytes -= oldest.bytes;
    }
  }
  /** Whole milliseconds: the times stored and compared (suspension, schedule) stay integers. */
  const clockNow = () => Math.floor(deps.clock.nowMs());

  function jobEntry(job: DeliveryJob, now: number): QueueEntry {
    return { body: serializeQueueMessage(job), delaySeconds: sqsDelaySeconds(job.dueAt, now, scale) };
  }

  async function attempt(
    stats: FanoutStats,
    initial: DeliveryRecord,
    subscription: StoredSubscription,
    envelope: DeliveryEnvelope,
    write: { create: true } | { create: false; expectedAttemptCount: number },
  ): Promise<void> {
    const record = { ...initial, address: addressOf(subscription.webhookUrl) };
    const secret = await deps.directory.secretOf(subscription);
    const headers = await deps.directory.headersOf(subscription);
    // Timed and signed once a slot is free: the attempt's time (log, retry schedule, suspension
    // count) and its `webhook-timestamp` are when it is sent, however long it waited for the slot.
    const result = await limit(async (): Promise<AttemptResult> => {
      const at = clockNow();
      let request: DeliveryRequest;
      try {
        request = buildDeliveryRequest({
          target: { ...subscription, headers },
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
      await deps.queue.send([jobEntry(job, clockNow())]);
      stats.retriesScheduled++;
    }
    if (applied.record.status === 'succeeded') stats.succeeded++;
    if (applied.record.status === 'failed') stats.failed++;
    const written = write.create
      ? await deps.deliveries.create(applied.record)
      : await deps.deliveries.replace(applied.record, write.expectedAttemptCount);
    if (!written) {
      log.info('delivery attempt already recorded by a concurrent run', { deliveryId: record.id, subscriptionId: record.subscriptionId });
    }
  }

  async function handleEvent(stats: FanoutStats, event: OutboundEvent, receiveCount: number): Promise<void> {
    stats.events++;
    const target = { type: event.type, ...(event.pipelineId === undefined ? {} : { pipelineId: event.pipelineId }) };
    const matched = (await deps.directory.list()).filter((subscription) =>
      matchesSubscription(
        { events: subscription.events, enabled: subscription.enabled, ...(subscription.pipelineId === undefined ? {} : { pipelineId: subscription.pipelineId }) },
        target,
      ),
    );
    if (matched.length === 0) return;
    let envelope: DeliveryEnvelope;
    try {
      envelope = buildEnvelope({ type: event.type, id: event.id, timestamp: event.timestamp, dataJson: event.dataJson });
    } catch (error) {
      throw new PoisonMessageError(`event ${event.id}: ${(error as Error).message}`);
    }
    const now = clockNow();
    const stored: StoredEvent = { ...event, expiresAt: expiresAtFor(now, deps.retentionDays) };
    // Stored (for retries and redelivery) before any delivery that points at it is written. An event
    // stored already may have recorded deliveries: a re-received message, or the same event in a new
    // message (the processor re-publishes a re-processed batch's events with the same ids).
    const isNew = await deps.events.put(stored);
    cacheEvent(stored);
    const planned = matched.map((subscription) => ({
      subscription,
      deliveryId: deliveryIdFor(event.id, subscription.id, event.timestamp),
    }));
    const existing =
      !isNew || receiveCount > 1
        ? new Set(
            (await deps.deliveries.getMany(planned.map((p) => ({ subscriptionId: p.subscription.id, deliveryId: p.deliveryId })))).map(
              (record) => `${record.subscriptionId}/${record.id}`,
            ),
          )
        : new Set<string>();
    const outcomes = await Promise.allSettled(
      planned
        .filter((p) => !existing.has(`${p.subscription.id}/${p.deliveryId}`))
        .map(({ subscription, deliveryId }) =>
          attempt(
            stats,
            newDeliveryRecord({
              id: deliveryId,
              subscriptionId: subscription.id,
              eventId: event.id,
              eventType: event.type,
              webhookId: deliveryMessageId(event.id, subscription.id),
              address: addressOf(subscription.webhookUrl),
              eventTimestampMs: event.timestamp,
              now,
              retentionDays: deps.retentionDays,
            }),
            subscription,
            envelope,
            { create: true },
          ),
        ),
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
  async function handleRejectionSummary(stats: FanoutStats, job: RejectionSummaryJob, receiveCount: number): Promise<void> {
    if (deps.rejectionSummaries === undefined) throw new Error('rejection summaries are not configured in this fan-out');
    const summary = await deps.rejectionSummaries.getSummary(job.pipelineId, job.windowStart);
    if (summary === undefined || summary.total <= 0) return;
    await handleEvent(stats, rejectionSummaryEvent({ ...summary, windowEnd: job.windowEnd }), receiveCount);
  }

  async function loadEvent(eventId: string): Promise<StoredEvent | undefined> {
    const cached = eventCache.get(eventId);
    if (cached !== undefined) return cached.event;
    const stored = await deps.events.get(eventId);
    if (stored !== undefined) cacheEvent(stored);
    return stored;
  }

  async function endWithoutAttempt(record: DeliveryRecord, reason: string): Promise<void> {
    log.warn('delivery ended without an attempt', { deliveryId: record.id, subscriptionId: record.subscriptionId, reason });
    await deps.deliveries.replace(
      { ...record, status: 'failed', nextAttemptAt: undefined, updatedAt: new Date(clockNow()).toISOString() },
      record.attemptCount,
    );
  }

  async function handleJob(stats: FanoutStats, job: DeliveryJob): Promise<void> {
    stats.jobs++;
    const record = await deps.deliveries.get(job.subscriptionId, job.deliveryId);
    // The attempt that queued this job writes the delivery just after: a job that finds no delivery
    // (of an event still kept) or fewer attempts than it counts came before that write. It is
    // retried, not dropped, or the delivery would be left pending without a job.
    if (record === undefined && (await loadEvent(job.eventId)) === undefined) return; // expired: nothing to do
    if (record === undefined || record.attemptCount < job.seq) {
      throw new Error(`delivery ${job.deliveryId} is not written yet for attempt ${job.seq + 1}`);
    }
    if (record.attemptCount !== job.seq) return; // a duplicate or superseded job
    if (job.manual !== true && record.status !== 'pending') return;
    const now = clockNow();
    if (job.dueAt > now) {
      stats.redelayed++;
      await deps.queue.send([jobEntry(job, now)]);
      return;
    }
    const subscription = await deps.directory.get(job.subscriptionId);
    if (subscription === undefined) return endWithoutAttempt(record, 'subscription_deleted');
    if (!subscription.enabled && job.manual !== true) return endWithoutAttempt(record, 'subscription_disabled');
    if (job.manual !== true) {
      const address = addressOf(subscription.webhookUrl);
      const state = await deps.suspension.current(address);
      if (isSuspended(state, now)) {
        const dueAt = retryNotBefore(state, now, job.dueAt, deps.random);
        stats.redelayed++;
        await deps.queue.send([jobEntry({ ...job, dueAt }, now)]);
        await deps.deliveries.replace(
          { ...record, nextAttemptAt: new Date(dueAt).toISOString(), updatedAt: new Date(now).toISOString() },
          record.attemptCount,
        );
        return;
      }
    }
    const event = await loadEvent(job.eventId);
    if (event === undefined) return endWithoutAttempt(record, 'event_expired');
    const envelope = buildEnvelope({ type: event.type, id: event.id, timestamp: event.timestamp, dataJson: event.dataJson });
    // A redelivery on demand starts a fresh retry budget; the log and numbering continue.
    const base = job.manual === true ? { ...record, windowAttempts: 0, windowStartAt: undefined } : record;
    await attempt(stats, base, subscription, envelope, { create: false, expectedAttemptCount: job.seq });
  }

  /** True when the job's delivery is now `failed`, so its message can be let go. */
  async function giveUp(job: DeliveryJob, error: unknown): Promise<boolean> {
    try {
      const record = await deps.deliveries.get(job.subscriptionId, job.deliveryId);
      if (record === undefined || record.status !== 'pending') return false;
      log.error('delivery job failed on its last receive; the delivery ends failed', { deliveryId: job.deliveryId, error: describe(error) });
      await endWithoutAttempt(record, 'processing_failed');
      return true;
    } catch {
      return false;
    }
  }

  return {
    async handleBatch(records) {
      const stats: FanoutStats = { events: 0, jobs: 0, attempts: 0, succeeded: 0, failed: 0, retriesScheduled: 0, redelayed: 0 };
      const failed: string[] = [];
      await Promise.all(
        records.map(async (record) => {
          let message: ReturnType<typeof parseQueueMessage> | undefined;
          try {
            message = parseQueueMessage(record.body);
            if (message.kind === 'event') await handleEvent(stats, message.event, record.receiveCount);
            else if (message.kind === 'rejection_summary') await handleRejectionSummary(stats, message, record.receiveCount);
            else await handleJob(stats, message);
          } catch (error) {
            // On a delivery job's last receive, end its delivery `failed` (visible, redeliverable)
            // rather than leave it `pending` behind a job parked in the DLQ.
            if (message?.kind === 'delivery' && record.receiveCount >= (deps.maxReceiveCount ?? 5) && (await giveUp(message, error))) return;
            failed.push(record.messageId);
            if (error instanceof MalformedQueueMessageError || error instanceof PoisonMessageError) {
              log.warn('malformed events-queue message', { messageId: record.messageId, problem: error.message });
            } else {
              log.error('events-queue message failed; it will be retried', { messageId: record.messageId, error: describe(error) });
            }
          }
        }),
      );
      return { failedMessageIds: failed, stats };
    },
  };
}

function describe(error: unknown): unknown {
  if (error instanceof AggregateError) return { message: error.message, first: (error.errors[0] as Error | undefined)?.message };
  return error;
}

/** At most `max` calls of `fn` in flight; a finished call hands its slot straight to the next waiter. */
export function semaphore(max: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) next();
      else active--;
    }
  };
}
