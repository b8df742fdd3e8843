// Processor use case: one SQS batch in; valid requests land in the lake as Parquet, one object per
// (pipeline, day) and fetch round; invalid ones are quarantined (bounded) and counted. Returns the
// messages to retry, so a failure in one group never blocks or duplicates the others (partial
// batch response).
//
// Memory is bounded whatever senders post:
// - Credentials are checked first, from the queue message alone (key, token hash, pipeline id), so
//   a rejected request never has its claim-checked body (up to 6 MB in S3) fetched.
// - A rejected request keeps its first 4 KiB, its size and its claim pointer, never the whole body.
// - Accepted claim-checked bodies are fetched in rounds of at most the body budget, each landed and
//   let go before the next (body-budget.ts). Only when the invocation runs short of time are the
//   remaining ones handed back as batch item failures; they are fetched first next time.
// - A pipeline that verifies signatures has each accepted request checked over the body as
//   received once its body is at hand (inline, or fetched in its round); a failure is quarantined
//   and counted like a credential failure (bad_signature, missing_signature, stale_timestamp, and
//   unsigned_request for a GET, whose data no signature covers).
// - Signature headers are stored redacted (lake rows, quarantine lines), except the one the
//   pipeline's verifier reads (request-capture.ts storedHeaders).
import { authorizeIngest } from '../../domain/ingest/authorize.ts';
import { planFetchRounds, fetchPriority, DEFAULT_BODY_BUDGET_BYTES } from '../../domain/ingest/body-budget.ts';
import { systemClock, utcDay, type Clock } from '../../domain/clock.ts';
import { MalformedMessageError, parseIngestMessage, type IngestMessage } from '../../domain/ingest/message.ts';
import {
  encodeQuarantineRows,
  encodeWebhookRows,
  groupByPartition,
  partitionOf,
  quarantineObjectKey,
  webhookRowOf,
  webhooksObjectKey,
  type QuarantinePartition,
} from '../../domain/lake/objects.ts';
import { batchLandedEvent, webhookReceivedEvent } from '../../domain/delivery/built-in-events.ts';
import type { OutboundEvent } from '../../domain/delivery/queue-messages.ts';
import type { PipelineRecord, RejectionReason } from '../../domain/ingest/records.ts';
import { storedHeaders } from '../../domain/ingest/request-capture.ts';
import { providerDeliveryId } from '../../domain/ingest/signatures/delivery-id.ts';
import { verifiedSignatureHeaders } from '../../domain/ingest/signatures/settings.ts';
import { verifyReceived, type Verifier } from '../../domain/ingest/signatures/verify.ts';
import {
  countByReason,
  QUARANTINE_BODY_PREFIX_BYTES,
  REJECTION_SUMMARY_WINDOW_SECONDS,
  rejectionBucketOf,
  SUMMARY_SAMPLE_LIMIT,
  summaryDelaySeconds,
  summaryWindowAt,
  textPrefix,
  utf8Prefix,
  type QuarantineRecord,
} from '../../domain/ingest/rejections.ts';
import { log } from '../../logger.ts';
import type { ClaimReader, CredentialDirectory, LakeStore, RejectionCounter } from '../../ports/ingest.ts';
import type { EventSink, EventWanted } from './event-sink.ts';
import type { VerifierSource } from './verifier-cache.ts';

export interface QueueRecord {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount?: number | undefined;
}

/** A new fetch round starts only while at least this much of the invocation is left (default). */
export const DEFAULT_ROUND_RESERVE_MS = 20_000;

export interface ProcessDeps {
  directory: CredentialDirectory;
  lake: LakeStore;
  claims: ClaimReader;
  rejections: RejectionCounter;
  /**
   * Built-in outbound events (webhook_received, batch_landed), published after the lake writes,
   * only when someone subscribes to them. When they cannot be published, the messages behind them
   * are retried (landing again is harmless: same object, or the deduplicated view; event ids
   * derive from the requests, so the fan-out never delivers twice), except on a message's last
   * receive before the DLQ: then the rows stay landed and the lost events are logged, rather than
   * parking webhooks that already landed in the DLQ. webhook_rejected is aggregated per pipeline
   * and window instead (summarizeRejections).
   */
  events?: EventSink | undefined;
  /** The ingest queue's maxReceiveCount (default 5). */
  maxReceiveCount?: number | undefined;
  /** Bytes of claim-checked bodies held at once (default DEFAULT_BODY_BUDGET_BYTES). */
  bodyBudgetBytes?: number | undefined;
  /** Time of the rejection summary windows (default the system clock). */
  clock?: Clock | undefined;
  /** Length of a rejection summary window in seconds (default 60; shorter in tests). */
  rejectionSummarySeconds?: number | undefined;
  /** See DEFAULT_ROUND_RESERVE_MS. */
  roundReserveMs?: number | undefined;
  /** Verifiers of pipelines that verify signatures; without it, their requests are retried (never landed unverified). */
  verifiers?: VerifierSource | undefined;
}

export interface BatchContext {
  /** Milliseconds left in this invocation (Lambda's getRemainingTimeInMillis); no limit when absent. */
  remainingTimeMs?: (() => number) | undefined;
}

export interface BatchOutcome {
  failedMessageIds: string[];
  landed: number;
  rejected: number;
  malformed: number;
}

interface Parsed {
  messageId: string;
  message: IngestMessage;
  receiveCount: number;
  /** Position in the batch: rows keep the queue's order. */
  index: number;
}

/** An accepted request's body text and, for form posts, the text as received (signature verification checks it). */
export interface RequestContent {
  body: string;
  raw: string | undefined;
}

interface Landing extends Parsed, RequestContent {}

interface Rejected extends Parsed {
  reason: RejectionReason;
  /** The content, when it was at hand (signature failures): the quarantine line reads no claim again. */
  content?: RequestContent | undefined;
}

export async function processIngestBatch(
  records: readonly QueueRecord[],
  deps: ProcessDeps,
  context: BatchContext = {},
): Promise<BatchOutcome> {
  const failed = new Set<string>();
  const fail = (ids: readonly string[]) => ids.forEach((id) => failed.add(id));
  let malformed = 0;

  // 1. Parse; a malformed message fails every time and ends in the DLQ through the redrive policy.
  const parsed: Parsed[] = [];
  records.forEach((record, index) => {
    try {
      parsed.push({ messageId: record.messageId, message: parseIngestMessage(record.body), receiveCount: record.receiveCount ?? 1, index });
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      malformed++;
      failed.add(record.messageId);
      log.warn('malformed ingest message', { messageId: record.messageId, problem: error.message });
    }
  });

  // 2. One lookup for every key and pipeline in the batch, before any body is fetched.
  let lookup: Awaited<ReturnType<CredentialDirectory['lookup']>>;
  try {
    lookup = await deps.directory.lookup(
      parsed.map((item) => item.message.key),
      parsed.map((item) => item.message.pipelineId),
    );
  } catch (error) {
    log.error('credential lookup failed; retrying the batch', { error });
    fail(parsed.map((item) => item.messageId));
    return { failedMessageIds: [...failed], landed: 0, rejected: 0, malformed };
  }

  // 3. Authorize: needs only the message, never the body.
  const accepted: Parsed[] = [];
  const rejected: Rejected[] = [];
  for (const item of parsed) {
    const decision = authorizeIngest(item.message, lookup.tokens.get(item.message.key), lookup.pipelines.get(item.message.pipelineId));
    if (decision.ok) accepted.push(item);
    else rejected.push({ ...item, reason: decision.reason });
  }

  // 3b. The verifiers of the pipelines that verify signatures (one decrypt per pipeline, cached).
  //     Without one, a request of such a pipeline is retried: it never lands unverified.
  const verifiers = new Map<number, Verifier>();
  const unverifiable = new Set<number>();
  await Promise.all(
    [...new Set(accepted.map((item) => item.message.pipelineId))].map(async (pipelineId) => {
      const pipeline = lookup.pipelines.get(pipelineId)!;
      if (pipeline.verification === undefined) return;
      try {
        if (deps.verifiers === undefined) throw new Error('no verifier source configured');
        const verifier = await deps.verifiers.verifierOf(pipeline);
        if (verifier !== undefined) verifiers.set(pipelineId, verifier);
      } catch (error) {
        unverifiable.add(pipelineId);
        log.error('signature verification unavailable; retrying the pipeline\'s requests', { pipelineId, error });
      }
    }),
  );
  if (unverifiable.size > 0) {
    fail(accepted.filter((item) => unverifiable.has(item.message.pipelineId)).map((item) => item.messageId));
    accepted.splice(0, accepted.length, ...accepted.filter((item) => !unverifiable.has(item.message.pipelineId)));
  }
  /** The verified (or not verifying) landings among `items`; the others are returned as rejected. */
  const verify = (items: readonly Landing[]): { passed: Landing[]; refused: Rejected[] } => {
    const passed: Landing[] = [];
    const refused: Rejected[] = [];
    for (const item of items) {
      const verifier = verifiers.get(item.message.pipelineId);
      if (verifier === undefined) {
        passed.push(item);
        continue;
      }
      // The signed timestamp is compared with the moment the request arrived, not with now: a
      // message retried or redriven later is still judged as it was received.
      const result = verifyReceived(verifier, {
        format: item.message.format,
        headers: item.message.headers,
        body: item.body,
        raw: item.raw,
        nowSeconds: item.message.ts,
      });
      if (result.ok) passed.push(item);
      else refused.push({ ...item, reason: result.reason, content: { body: item.body, raw: item.raw } });
    }
    return { passed, refused };
  };

  // Which built-in events anyone listens to. Not knowing puts every landed message's events at risk.
  let wanted: EventWanted | undefined;
  let eventsUnknown = false;
  if (deps.events !== undefined && parsed.length > 0) {
    wanted = await deps.events.wanted().catch((error: unknown) => {
      log.error('could not read outbound subscriptions', { error });
      eventsUnknown = true;
      return undefined;
    });
  }

  // 4. Rejected: quarantined and counted, never fetched whole.
  let rejectedCount = await handleRejected(rejected, lookup.pipelines, wanted, deps, fail);

  // 5. Accepted: land them, claim-checked bodies in rounds within the body budget.
  const outboundEvents: OutboundEvent[] = [];
  /** Messages whose events are in `outboundEvents`. */
  const eventSources = new Set<string>();
  let landed = 0;

  async function land(items: readonly Landing[]): Promise<void> {
    const groups = groupByPartition(items, (item) => partitionOf(item.message.pipelineId, item.message.ts));
    await Promise.all(
      [...groups.values()].map(async ({ partition, items: group }) => {
        const objectKey = webhooksObjectKey(partition, group.map((item) => item.message));
        try {
          const verification = lookup.pipelines.get(partition.pipelineId)?.verification;
          const signatureHeaders = verifiedSignatureHeaders(verification);
          const rows = group.map((item) =>
            webhookRowOf(
              item.message,
              item.body,
              providerDeliveryId(verification?.provider, item.message.headers, item.body),
              storedHeaders(item.message.headers, signatureHeaders),
            ),
          );
          await deps.lake.put({ key: objectKey, body: encodeWebhookRows(rows), contentType: 'application/vnd.apache.parquet' });
          landed += group.length;
          // Best effort, one write per object: the console's chart, not an exact account (a retried batch counts again).
          await deps.rejections.addLanded(partition.pipelineId, partition.dt, group.length).catch((error: unknown) => {
            log.warn('landed counter not updated', { pipelineId: partition.pipelineId, dt: partition.dt, rows: group.length, error });
          });
          if (wanted?.('webhook_received', partition.pipelineId) === true) {
            for (const item of group) {
              eventSources.add(item.messageId);
              outboundEvents.push(
                webhookReceivedEvent({
                  requestId: item.message.id,
                  ts: item.message.ts,
                  pipelineId: item.message.pipelineId,
                  key: item.message.key,
                  format: item.message.format,
                  body: item.body,
                  objectKey,
                }),
              );
            }
          }
          if (wanted?.('batch_landed', partition.pipelineId) === true) {
            group.forEach((item) => eventSources.add(item.messageId));
            const times = group.map((item) => item.message.ts);
            outboundEvents.push(
              batchLandedEvent({
                pipelineId: partition.pipelineId,
                dt: partition.dt,
                objectKey,
                rows: group.length,
                firstTs: Math.min(...times),
                lastTs: Math.max(...times),
              }),
            );
          }
        } catch (error) {
          fail(group.map((item) => item.messageId));
          log.error('lake write failed', { objectKey, rows: group.length, error });
        }
      }),
    );
  }

  const inline: Landing[] = [];
  const claimChecked: Parsed[] = [];
  for (const item of accepted) {
    if (isClaimChecked(item.message)) claimChecked.push(item);
    else inline.push({ ...item, body: item.message.body!, raw: item.message.raw });
  }
  const sized = (
    await Promise.all(
      claimChecked.map(async (item) => {
        try {
          return { item, bytes: await claimedBytes(item.message, deps.claims) };
        } catch (error) {
          failed.add(item.messageId);
          log.error('claim check size read failed', { messageId: item.messageId, requestId: item.message.id, error });
          return undefined;
        }
      }),
    )
  )
    .filter((entry) => entry !== undefined)
    .sort((a, b) => fetchPriority(a.item, b.item));
  const rounds = planFetchRounds(sized, deps.bodyBudgetBytes ?? DEFAULT_BODY_BUDGET_BYTES);
  const reserveMs = deps.roundReserveMs ?? DEFAULT_ROUND_RESERVE_MS;
  for (let round = 0; round < Math.max(1, rounds.length); round++) {
    if (round > 0 && context.remainingTimeMs !== undefined && context.remainingTimeMs() < reserveMs) {
      const handedBack = rounds.slice(round).flat();
      fail(handedBack.map(({ item }) => item.messageId));
      log.warn('out of time for another fetch round; claim-checked messages handed back', { messages: handedBack.length });
      break;
    }
    const fetched = await Promise.all(
      (rounds[round] ?? []).map(async ({ item }): Promise<Landing | undefined> => {
        try {
          return { ...item, ...(await fetchContent(item.message, deps.claims)) };
        } catch (error) {
          failed.add(item.messageId);
          log.error('claim check fetch failed', { messageId: item.messageId, requestId: item.message.id, error });
          return undefined;
        }
      }),
    );
    const { passed, refused } = verify([...(round === 0 ? inline : []), ...fetched.filter((item) => item !== undefined)]);
    rejectedCount += await handleRejected(refused, lookup.pipelines, wanted, deps, fail);
    await land(passed.sort((a, b) => a.index - b.index));
  }

  // 6. Outbound events, after every lake write of the batch.
  let eventsFailed = eventsUnknown;
  if (deps.events !== undefined && outboundEvents.length > 0) {
    await deps.events.publish(outboundEvents).catch((error: unknown) => {
      log.error('publishing outbound events failed', { events: outboundEvents.length, error });
      eventsFailed = true;
    });
  }
  if (eventsFailed) {
    const atRisk = eventsUnknown ? accepted.map((item) => item.messageId) : [...eventSources];
    const maxReceiveCount = deps.maxReceiveCount ?? 5;
    const receives = new Map(records.map((record) => [record.messageId, record.receiveCount ?? 1]));
    const lastChance = atRisk.filter((id) => receives.get(id)! >= maxReceiveCount);
    fail(atRisk.filter((id) => receives.get(id)! < maxReceiveCount && !failed.has(id)));
    if (lastChance.length > 0) {
      log.error('outbound events lost: their webhooks landed on their last receive', { messages: lastChance.length });
    }
  }

  return { failedMessageIds: [...failed], landed, rejected: rejectedCount, malformed };
}

function isClaimChecked(message: IngestMessage): boolean {
  return message.bodyRef !== undefined || message.rawRef !== undefined;
}

/** Bytes of a message's claim-checked texts, without reading them (its share of the body budget). */
async function claimedBytes(message: IngestMessage, claims: ClaimReader): Promise<number> {
  const sizes = await Promise.all([message.bodyRef, message.rawRef].map((ref) => (ref === undefined ? 0 : claims.size(ref))));
  return sizes[0]! + sizes[1]!;
}

/** An accepted message's body and raw text, from the message or from their claim-checked objects. */
export async function fetchContent(message: IngestMessage, claims: ClaimReader): Promise<RequestContent> {
  const [body, raw] = await Promise.all([
    message.bodyRef === undefined ? message.body! : claims.get(message.bodyRef),
    message.rawRef === undefined ? message.raw : claims.get(message.rawRef),
  ]);
  return { body, raw };
}

/**
 * Quarantines and counts rejected requests per bucket (an existing pipeline, or `unknown` for all
 * that do not exist) and day: one object and one counter write per bucket and day, however many
 * random pipeline ids a batch names. For existing pipelines with a webhook_rejected subscriber, the
 * counts also go into the pipeline's summary window. Returns how many were quarantined.
 */
async function handleRejected(
  rejected: readonly Rejected[],
  pipelines: ReadonlyMap<number, PipelineRecord>,
  wanted: EventWanted | undefined,
  deps: ProcessDeps,
  fail: (ids: readonly string[]) => void,
): Promise<number> {
  if (rejected.length === 0) return 0;
  const described = await Promise.all(
    rejected.map(async (item) => {
      try {
        return { item, record: await quarantineRecordOf(item, pipelines.get(item.message.pipelineId), deps.claims) };
      } catch (error) {
        fail([item.messageId]);
        log.error('claim check prefix read failed', { messageId: item.messageId, requestId: item.message.id, error });
        return undefined;
      }
    }),
  );
  const groups = groupByPartition(
    described.filter((entry) => entry !== undefined),
    ({ item }): QuarantinePartition => ({
      pipelineId: rejectionBucketOf(item.message.pipelineId, pipelines.has(item.message.pipelineId)),
      dt: utcDay(item.message.ts),
    }),
  );
  let quarantined = 0;
  /** Counted rejections of existing pipelines, for their summaries. */
  const counted = new Map<number, Rejected[]>();
  await Promise.all(
    [...groups.values()].map(async ({ partition, items }) => {
      const objectKey = quarantineObjectKey(partition, items.map(({ item }) => item.message));
      const counts = countByReason(items.map(({ item }) => item.reason));
      try {
        await deps.lake.put({ key: objectKey, body: encodeQuarantineRows(items.map(({ record }) => record)), contentType: 'application/x-ndjson' });
        await deps.rejections.addDaily(partition.pipelineId, partition.dt, counts);
        quarantined += items.length;
        if (typeof partition.pipelineId === 'number') {
          const list = counted.get(partition.pipelineId) ?? [];
          counted.set(partition.pipelineId, [...list, ...items.map(({ item }) => item)]);
        }
        log.info('rejected webhooks quarantined', { bucket: partition.pipelineId, dt: partition.dt, counts });
      } catch (error) {
        fail(items.map(({ item }) => item.messageId));
        log.error('quarantine failed', { objectKey, error });
      }
    }),
  );
  if (deps.events !== undefined && wanted !== undefined) {
    await Promise.all(
      [...counted].filter(([pipelineId]) => wanted('webhook_rejected', pipelineId)).map(([pipelineId, items]) => summarizeRejections(pipelineId, items, deps)),
    );
  }
  return quarantined;
}

async function quarantineRecordOf(item: Rejected, pipeline: PipelineRecord | undefined, claims: ClaimReader): Promise<QuarantineRecord> {
  const { message } = item;
  const knownBody = item.content?.body ?? message.body;
  const base = {
    id: message.id,
    ts: message.ts,
    key: message.key,
    pipelineId: message.pipelineId,
    reason: item.reason,
    format: message.format,
    method: message.method,
    headers: storedHeaders(message.headers, verifiedSignatureHeaders(pipeline?.verification)),
    query: message.query,
    // Like the row's column; absent for messages queued before headers were captured. A body-borne
    // id (Stripe, Slack) only when the body is at hand: a claim-checked one is not read for it.
    ...(message.headers === undefined ? {} : { deliveryId: providerDeliveryId(pipeline?.verification?.provider, message.headers, knownBody ?? '') }),
  };
  if (knownBody !== undefined) {
    return {
      ...base,
      bodyBytes: Buffer.byteLength(knownBody, 'utf8'),
      bodyPrefix: textPrefix(knownBody, QUARANTINE_BODY_PREFIX_BYTES),
      ...(message.bodyRef === undefined ? {} : { bodyRef: message.bodyRef }),
    };
  }
  // One byte more than kept, so the cut can tell whether it splits a character.
  const head = await claims.head(message.bodyRef!, QUARANTINE_BODY_PREFIX_BYTES + 1);
  return { ...base, bodyBytes: head.bytes, bodyPrefix: utf8Prefix(head.prefix, QUARANTINE_BODY_PREFIX_BYTES), bodyRef: message.bodyRef };
}

/**
 * Adds a pipeline's rejections to its current summary window; the first batch to claim the window
 * queues the summary's read for a little after the window ends (one webhook_rejected per pipeline
 * and window). A claim whose message cannot be queued is given back, so a later batch of the window
 * queues it. Best effort: a failure is logged, not retried, since a retry would count the
 * rejections (already quarantined and counted per day) a second time.
 */
async function summarizeRejections(pipelineId: number, items: readonly Rejected[], deps: ProcessDeps): Promise<void> {
  const clock = deps.clock ?? systemClock;
  const window = summaryWindowAt(clock.nowMs(), deps.rejectionSummarySeconds ?? REJECTION_SUMMARY_WINDOW_SECONDS);
  try {
    await deps.rejections.addToSummary(
      pipelineId,
      window,
      countByReason(items.map((item) => item.reason)),
      items.slice(0, SUMMARY_SAMPLE_LIMIT).map((item) => item.message.id),
    );
    if (await deps.rejections.claimSummary(pipelineId, window)) {
      try {
        await deps.events!.scheduleRejectionSummary(pipelineId, window, summaryDelaySeconds(window, clock.nowMs()));
      } catch (error) {
        await deps.rejections.releaseSummary(pipelineId, window).catch((releaseError: unknown) => {
          log.error('could not release a rejection summary claim', { pipelineId, window: window.start, error: releaseError });
        });
        throw error;
      }
    }
  } catch (error) {
    log.error('rejection summary incomplete: the webhook_rejected event of this window may miss these rejections', {
      pipelineId,
      window: window.start,
      rejected: items.length,
      error,
    });
  }
}
