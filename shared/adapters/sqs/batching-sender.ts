// Sends SQS messages, coalescing the sends issued in the same turn of the event loop into
// SendMessageBatch calls (10 entries, 1 MiB at most). That matters where one process serves many
// requests at once (the local stack, a fan-out batch scheduling retries, a processor batch
// publishing events); a lone send is a plain SendMessage with no added wait.
//
// Bodies arrive as the final text (the serializers make them queue-safe, queue-safe-json.ts), so
// the batch sizes below are the bytes SQS counts. A body SQS or fauxqs would refuse is refused
// here, on its own, instead of failing the batch it would have shared with other requests.
//
// The calls go through a transport: the AWS SDK's SQS client (sdk-transport.ts), or the signed
// JSON protocol over node:http (json-transport.ts), which keeps the SDK out of the receiver.
import { isQueueSafe } from '../../domain/queue-safe-json.ts';

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;
/** SQS's longest message delay. */
export const MAX_DELAY_SECONDS = 900;

export interface OutgoingMessage {
  body: string;
  /** Rounded up and capped at 900; 0 or absent sends at once. */
  delaySeconds?: number | undefined;
}

export class SqsSendError extends Error {
  override name = 'SqsSendError';
}

export interface BatchEntry {
  /** Unique within its batch. */
  id: string;
  body: string;
  /** Whole seconds, 1–900; absent sends at once. */
  delaySeconds?: number | undefined;
}

/** The two SQS calls a sender makes; either resolves once SQS has answered. */
export interface SqsSendTransport {
  sendMessage(queueUrl: string, body: string, delaySeconds?: number): Promise<void>;
  /** Resolves with the entries SQS refused (its `Failed` list); throws when the call itself fails. */
  sendMessageBatch(queueUrl: string, entries: readonly BatchEntry[]): Promise<{ id: string; code: string; message: string }[]>;
}

interface Pending {
  message: OutgoingMessage;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function delayOf(message: OutgoingMessage): number | undefined {
  const delay = message.delaySeconds;
  return delay !== undefined && delay > 0 ? Math.min(MAX_DELAY_SECONDS, Math.ceil(delay)) : undefined;
}

/** Returns `send(message)`, resolving once that message is on the queue. */
export function batchingSqsSender(transport: SqsSendTransport, queueUrl: string): (message: OutgoingMessage) => Promise<void> {
  let pending: Pending[] = [];
  let scheduled = false;

  async function sendBatch(batch: Pending[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const [only] = batch;
        await transport.sendMessage(queueUrl, only!.message.body, delayOf(only!.message));
        only!.resolve();
        return;
      }
      const refused = await transport.sendMessageBatch(
        queueUrl,
        batch.map((item, index) => ({ id: String(index), body: item.message.body, delaySeconds: delayOf(item.message) })),
      );
      const failed = new Map(refused.map((entry) => [entry.id, entry]));
      batch.forEach((item, index) => {
        const failure = failed.get(String(index));
        if (failure === undefined) item.resolve();
        else item.reject(new SqsSendError(`${failure.code}: ${failure.message}`));
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

  return (message) =>
    new Promise<void>((resolve, reject) => {
      if (!isQueueSafe(message.body)) {
        reject(new SqsSendError('InvalidMessageContents: the body holds characters SQS refuses (serialize it with queueSafeJson)'));
        return;
      }
      // 64 bytes of headroom per entry for the batch's own framing.
      pending.push({ message, bytes: Buffer.byteLength(message.body, 'utf8') + 64, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
