// Processor use case: one SQS batch in; valid requests land in the lake as one Parquet object per
// (pipeline, day); invalid ones are quarantined and counted. Returns the messages to retry, so a
// failure in one group never blocks or duplicates the others (partial batch response).
import { authorizeIngest } from '../domain/authorize.ts';
import { MalformedMessageError, parseIngestMessage, type IngestMessage } from '../domain/ingest-message.ts';
import {
  encodeQuarantineRows,
  encodeWebhookRows,
  groupByPartition,
  partitionOf,
  quarantineObjectKey,
  webhooksObjectKey,
  type QuarantineRow,
  type WebhookRow,
} from '../domain/lake.ts';
import { batchLandedEvent, webhookReceivedEvent, webhookRejectedEvent } from '../domain/outbound/built-in-events.ts';
import type { OutboundEvent } from '../domain/outbound/queue-messages.ts';
import type { RejectionReason } from '../domain/records.ts';
import { log } from '../logger.ts';
import type { ClaimStore, CredentialDirectory, LakeStore, RejectionCounter } from '../ports/ingest.ts';
import type { EventSink, EventWanted } from './outbound-events.ts';

export interface QueueRecord {
  messageId: string;
  body: string;
  /** SQS ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount?: number | undefined;
}

export interface ProcessDeps {
  directory: CredentialDirectory;
  lake: LakeStore;
  claims: ClaimStore;
  rejections: RejectionCounter;
  /**
   * Built-in outbound events (webhook_received, batch_landed, webhook_rejected), published after
   * the lake writes, only when someone subscribes to them. When they cannot be published, the
   * messages behind them are retried (landing again is harmless: same object, or the
   * deduplicated view; event ids derive from the requests, so the fan-out never delivers twice),
   * except on a message's last receive before the DLQ: then the rows stay landed and the lost
   * events are logged, rather than parking webhooks that already landed in the DLQ.
   */
  events?: EventSink | undefined;
  /** The ingest queue's maxReceiveCount (default 5). */
  maxReceiveCount?: number | undefined;
}

export interface BatchOutcome {
  failedMessageIds: string[];
  landed: number;
  rejected: number;
  malformed: number;
}

interface Decoded {
  messageId: string;
  message: IngestMessage;
  body: string;
}

export async function processIngestBatch(records: readonly QueueRecord[], deps: ProcessDeps): Promise<BatchOutcome> {
  const failed = new Set<string>();
  const fail = (ids: readonly string[]) => ids.forEach((id) => failed.add(id));
  let malformed = 0;

  // 1. Parse; a malformed message fails every time and ends in the DLQ through the redrive policy.
  const parsed: { messageId: string; message: IngestMessage }[] = [];
  for (const record of records) {
    try {
      parsed.push({ messageId: record.messageId, message: parseIngestMessage(record.body) });
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      malformed++;
      failed.add(record.messageId);
      log.warn('malformed ingest message', { messageId: record.messageId, problem: error.message });
    }
  }

  // 2. Fetch claim-checked bodies.
  const decoded: Decoded[] = [];
  await Promise.all(
    parsed.map(async ({ messageId, message }) => {
      try {
        const body = message.bodyRef === undefined ? message.body! : await deps.claims.get(message.bodyRef);
        decoded.push({ messageId, message, body });
      } catch (error) {
        failed.add(messageId);
        log.error('claim check fetch failed', { messageId, requestId: message.id, error });
      }
    }),
  );
  // Promise.all pushes in completion order; keep the queue's order for stable files.
  const order = new Map(records.map((record, index) => [record.messageId, index]));
  decoded.sort((a, b) => order.get(a.messageId)! - order.get(b.messageId)!);

  // 3. One lookup for every key and pipeline in the batch.
  let lookup: Awaited<ReturnType<CredentialDirectory['lookup']>>;
  try {
    lookup = await deps.directory.lookup(
      decoded.map((item) => item.message.key),
      decoded.map((item) => item.message.pipelineId),
    );
  } catch (error) {
    log.error('credential lookup failed; retrying the batch', { error });
    fail(decoded.map((item) => item.messageId));
    return { failedMessageIds: [...failed], landed: 0, rejected: 0, malformed };
  }

  // 4. Authorize.
  const accepted: Decoded[] = [];
  const rejected: (Decoded & { reason: RejectionReason })[] = [];
  for (const item of decoded) {
    const decision = authorizeIngest(
      item.message,
      lookup.tokens.get(item.message.key),
      lookup.pipelines.get(item.message.pipelineId),
    );
    if (decision.ok) accepted.push(item);
    else rejected.push({ ...item, reason: decision.reason });
  }

  const partitionOfItem = (item: Decoded) => partitionOf(item.message.pipelineId, item.message.ts);
  let landed = 0;
  let rejectedCount = 0;

  // Which built-in events anyone listens to. Not knowing puts every event of the batch at risk.
  let wanted: EventWanted | undefined;
  let eventsUnknown = false;
  if (deps.events !== undefined && (accepted.length > 0 || rejected.length > 0)) {
    wanted = await deps.events.wanted().catch((error: unknown) => {
      log.error('could not read outbound subscriptions', { error });
      eventsUnknown = true;
      return undefined;
    });
  }
  const outboundEvents: OutboundEvent[] = [];
  /** Messages whose events are in `outboundEvents`. */
  const eventSources = new Set<string>();

  // 5. Land each (pipeline, day) group as one object; groups succeed or fail on their own.
  await Promise.all(
    [...groupByPartition(accepted, partitionOfItem).values()].map(async ({ partition, items }) => {
      const ids = items.map((item) => item.message.id);
      const objectKey = webhooksObjectKey(partition, ids);
      try {
        const rows: WebhookRow[] = items.map((item) => ({
          __kdd_request_id: item.message.id,
          __kdd_request_unix_timestamp: item.message.ts,
          __kdd_requester_key: item.message.key,
          __kdd_request_body: item.body,
        }));
        await deps.lake.put({ key: objectKey, body: encodeWebhookRows(rows), contentType: 'application/vnd.apache.parquet' });
        landed += items.length;
        if (wanted?.('webhook_received', partition.pipelineId) === true) {
          for (const item of items) {
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
          items.forEach((item) => eventSources.add(item.messageId));
          const times = items.map((item) => item.message.ts);
          outboundEvents.push(
            batchLandedEvent({
              pipelineId: partition.pipelineId,
              dt: partition.dt,
              objectKey,
              rows: items.length,
              firstTs: Math.min(...times),
              lastTs: Math.max(...times),
            }),
          );
        }
      } catch (error) {
        fail(items.map((item) => item.messageId));
        log.error('lake write failed', { objectKey, rows: items.length, error });
      }
    }),
  );

  // 6. Quarantine and count the rejected, also per (pipeline, day).
  await Promise.all(
    [...groupByPartition(rejected, partitionOfItem).values()].map(async ({ partition, items }) => {
      const rows: QuarantineRow[] = items.map((item) => ({
        id: item.message.id,
        ts: item.message.ts,
        key: item.message.key,
        pipelineId: item.message.pipelineId,
        reason: item.reason,
        body: item.body,
      }));
      const counts: Partial<Record<RejectionReason, number>> = {};
      for (const row of rows) counts[row.reason] = (counts[row.reason] ?? 0) + 1;
      const objectKey = quarantineObjectKey(partition, rows.map((row) => row.id));
      try {
        await deps.lake.put({ key: objectKey, body: encodeQuarantineRows(rows), contentType: 'application/x-ndjson' });
        await deps.rejections.add(partition.pipelineId, partition.dt, counts);
        rejectedCount += items.length;
        if (wanted?.('webhook_rejected', partition.pipelineId) === true) {
          items.forEach((item) => eventSources.add(item.messageId));
          for (const row of rows) {
            outboundEvents.push(
              webhookRejectedEvent({ requestId: row.id, ts: row.ts, pipelineId: row.pipelineId, key: row.key, reason: row.reason }),
            );
          }
        }
        log.info('rejected webhooks quarantined', { pipelineId: partition.pipelineId, dt: partition.dt, counts });
      } catch (error) {
        fail(items.map((item) => item.messageId));
        log.error('quarantine failed', { objectKey, error });
      }
    }),
  );

  // 7. Outbound events, after every lake write of the batch.
  let eventsFailed = eventsUnknown;
  if (deps.events !== undefined && outboundEvents.length > 0) {
    await deps.events.publish(outboundEvents).catch((error: unknown) => {
      log.error('publishing outbound events failed', { events: outboundEvents.length, error });
      eventsFailed = true;
    });
  }
  if (eventsFailed) {
    const atRisk = eventsUnknown ? [...accepted, ...rejected].map((item) => item.messageId) : [...eventSources];
    const maxReceiveCount = deps.maxReceiveCount ?? 5;
    const receives = new Map(records.map((record) => [record.messageId, record.receiveCount ?? 1]));
    const lastChance = atRisk.filter((id) => receives.get(id)! >= maxReceiveCount);
    fail(atRisk.filter((id) => receives.get(id)! < maxReceiveCount));
    if (lastChance.length > 0) {
      log.error('outbound events lost: their webhooks landed on their last receive', { messages: lastChance.length });
    }
  }

  return { failedMessageIds: [...failed], landed, rejected: rejectedCount, malformed };
}
