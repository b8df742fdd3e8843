// The events queue: new events and delivery jobs, each with its own DelaySeconds. Sends issued
// in the same turn of the event loop are coalesced into SendMessageBatch calls (10 entries,
// 1 MiB at most), so a fan-out batch that schedules many retries, or a processor batch that
// publishes many events, costs a few calls.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EventsQueue, QueueEntry } from '../services/outbound-ports.ts';

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;

interface Pending {
  entry: QueueEntry;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class EventsQueueSendError extends Error {
  override name = 'EventsQueueSendError';
}

export function sqsEventsQueue(client: SQSClient, queueUrl: string): EventsQueue {
  let pending: Pending[] = [];
  let scheduled = false;

  async function sendBatch(batch: Pending[]): Promise<void> {
    try {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((item, index) => ({
            Id: String(index),
            MessageBody: item.entry.body,
            ...(item.entry.delaySeconds !== undefined && item.entry.delaySeconds > 0
              ? { DelaySeconds: Math.min(900, Math.ceil(item.entry.delaySeconds)) }
              : {}),
          })),
        }),
      );
      const failed = new Map((result.Failed ?? []).map((entry) => [entry.Id, entry]));
      batch.forEach((item, index) => {
        const failure = failed.get(String(index));
        if (failure === undefined) item.resolve();
        else item.reject(new EventsQueueSendError(`${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}`));
      });
    } catch (error) {
      batch.forEach((item) => item.reject(error));
    }
  }

  function flush(): void {
    scheduled = false;
    const queued = pending;
    pending = [];
    let batch: Pending[] = [];
    let bytes = 0;
    for (const item of queued) {
      if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + item.bytes > MAX_BATCH_BYTES)) {
        void sendBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += item.bytes;
    }
    if (batch.length > 0) void sendBatch(batch);
  }

  function sendOne(entry: QueueEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      pending.push({ entry, bytes: Buffer.byteLength(entry.body) + 64, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  }

  return {
    async send(entries) {
      await Promise.all(entries.map(sendOne));
    },
  };
}
