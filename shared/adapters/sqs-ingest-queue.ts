// Sends ingest messages to SQS. Sends issued in the same turn of the event loop are coalesced
// into SendMessageBatch calls (10 entries, 1 MiB at most), which matters where one process serves
// many requests at once (the local stack); a Lambda instance serves one request at a time, so
// there it is a plain SendMessage with no added wait.
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { IngestQueue } from '../ports/ingest.ts';

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;

interface Pending {
  body: string;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class SendMessageFailedError extends Error {
  override name = 'SendMessageFailedError';
}

export function sqsIngestQueue(client: SQSClient, queueUrl: string): IngestQueue {
  let pending: Pending[] = [];
  let scheduled = false;

  async function sendBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch;
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: only!.body })).then(
        () => only!.resolve(),
        (error: unknown) => only!.reject(error),
      );
      return;
    }
    try {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((item, index) => ({ Id: String(index), MessageBody: item.body })),
        }),
      );
      const failed = new Map((result.Failed ?? []).map((entry) => [entry.Id, entry]));
      batch.forEach((item, index) => {
        const failure = failed.get(String(index));
        if (failure === undefined) item.resolve();
        else item.reject(new SendMessageFailedError(`${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}`));
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

  return {
    send(messageBody) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ body: messageBody, bytes: Buffer.byteLength(messageBody), resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
