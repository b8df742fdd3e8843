// A local stand-in for the Lambda SQS event-source mapping: long-polls a queue, gathers a batch
// (up to batchSize or until the batching window closes), invokes the handler, deletes what
// succeeded and leaves reported failures to reappear after the visibility timeout, so the
// queue's redrive policy moves poison messages to the DLQ just as on AWS.
import type { Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { md5OfBody, SqsCallError, type SqsJsonCaller } from '../../shared/adapters/sqs/json-transport.ts';
import { lambdaContext } from './gateway.ts';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/**
 * The three calls a poller makes, as the event-source mapping makes them. Over SQS's JSON protocol
 * without the SDK (json-transport.ts): under load the pollers make two calls per ten messages, and
 * the SDK's signing and middleware were a good share of the functions' thread.
 */
export interface PollingQueue {
  receive(queueUrl: string, max: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]>;
  deleteBatch(queueUrl: string, entries: { Id: string; ReceiptHandle: string }[]): Promise<void>;
  changeVisibilityBatch(queueUrl: string, entries: { Id: string; ReceiptHandle: string; VisibilityTimeout: number }[]): Promise<void>;
}

/** A batch call's entries that SQS refused, as one error (the SDK's commands resolve with them listed). */
function failedEntries(operation: string, result: Record<string, unknown>): void {
  const failed = (result.Failed ?? []) as { Id?: string; Code?: string }[];
  if (failed.length > 0) throw new SqsCallError('BatchEntriesFailed', `${operation}: ${failed.map((entry) => `${entry.Id} ${entry.Code}`).join(', ')}`, 200, false);
}

/**
 * The largest ReceiveMessage answer, per message asked for: a message of SQS's largest size
 * (1 MiB) as a JSON string in the answer, where escaping may triple it (a character outside the
 * BMP, 4 bytes, is written as two \u escapes), and its attributes.
 */
export const RECEIVE_ANSWER_BYTES_PER_MESSAGE = 3 * 1_048_576 + 16 * 1024;

export function jsonPollingQueue(caller: SqsJsonCaller): PollingQueue {
  return {
    async receive(queueUrl, max, waitSeconds, signal) {
      const result = await caller.call(
        queueUrl,
        'ReceiveMessage',
        { MaxNumberOfMessages: max, WaitTimeSeconds: waitSeconds, MessageSystemAttributeNames: ['All'] },
        // Past the wait, an answer is late; the abort ends a wait early when the poller stops.
        { timeoutMs: waitSeconds * 1000 + 10_000, signal, maxResponseBytes: max * RECEIVE_ANSWER_BYTES_PER_MESSAGE },
      );
      const messages = (result.Messages ?? []) as Message[];
      for (const message of messages) {
        // As the SDK checks every body it receives.
        if (message.MD5OfBody !== md5OfBody(message.Body ?? '')) throw new SqsCallError('InvalidChecksum', `MD5 of message ${message.MessageId} differs from its body`, 200, true);
      }
      return messages;
    },
    async deleteBatch(queueUrl, entries) {
      failedEntries('DeleteMessageBatch', await caller.call(queueUrl, 'DeleteMessageBatch', { Entries: entries }));
    },
    async changeVisibilityBatch(queueUrl, entries) {
      failedEntries('ChangeMessageVisibilityBatch', await caller.call(queueUrl, 'ChangeMessageVisibilityBatch', { Entries: entries }));
    },
  };
}

export interface PollerOptions {
  name: string;
  queue: PollingQueue;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  batchSize: number;
  batchWindowMs: number;
  /** Parallel poll loops, as the mapping scales its pollers. */
  concurrency: number;
  /**
   * Long-poll wait of an idle loop, default 20 (SQS's longest, as the event-source mapping polls):
   * an idle stack sends each queue a few requests a minute, not a few a second. stop() aborts the
   * polls in flight, so it never waits for one.
   */
  waitTimeSeconds?: number;
  /**
   * While the handler works on a batch, keep its messages invisible for this many seconds more,
   * renewed every half of it: a handler slower than the queue's visibility timeout is not handed
   * the same messages again meanwhile. Unset = no renewal (the visibility timeout alone).
   */
  extendVisibilitySeconds?: number;
  onError?: (error: unknown) => void;
}

export interface Poller {
  stop(): Promise<void>;
  /** Batches handed to the handler so far. */
  readonly invocations: number;
}

/** SQS's longest long poll. */
export const MAX_WAIT_TIME_SECONDS = 20;

export function startSqsPoller(options: PollerOptions): Poller {
  let stopping = false;
  let invocations = 0;
  const stopped = new AbortController();
  const report = options.onError ?? ((error: unknown) => console.error(`${options.name} poller:`, error));

  async function receiveBatch(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEndsAt = Infinity;
    while (!stopping && batch.length < options.batchSize) {
      const remainingMs = windowEndsAt - Date.now();
      if (remainingMs <= 0) break;
      const wait = batch.length === 0 ? (options.waitTimeSeconds ?? MAX_WAIT_TIME_SECONDS) : Math.min(1, Math.floor(remainingMs / 1000));
      let Messages: Message[];
      try {
        Messages = await options.queue.receive(options.queueUrl, Math.min(10, options.batchSize - batch.length), wait, stopped.signal);
      } catch (error) {
        // Stopped while gathering: the messages already received are still handled.
        if (stopping && batch.length > 0) break;
        throw error;
      }
      if (Messages.length > 0 && batch.length === 0) windowEndsAt = Date.now() + options.batchWindowMs;
      batch.push(...Messages);
      if (Messages.length === 0 && batch.length > 0) break;
    }
    return batch;
  }

  async function deleteMessages(messages: Message[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      const entries = messages.slice(start, start + 10).map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle!,
      }));
      await options.queue.deleteBatch(options.queueUrl, entries);
    }
  }

  /** Renews the batch's invisibility until the returned stop is called. */
  function keepInvisible(messages: Message[]): () => void {
    const seconds = options.extendVisibilitySeconds;
    if (seconds === undefined) return () => undefined;
    const renew = async () => {
      for (let start = 0; start < messages.length; start += 10) {
        const entries = messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: seconds,
        }));
        await options.queue.changeVisibilityBatch(options.queueUrl, entries);
      }
    };
    const timer = setInterval(() => void renew().catch(report), Math.max(250, (seconds * 1000) / 2));
    return () => clearInterval(timer);
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        const messages = await receiveBatch();
        if (messages.length === 0) continue;
        invocations++;
        let failedIds: Set<string>;
        const stopRenewing = keepInvisible(messages);
        try {
          const result = await options.handler(toSqsEvent(messages, options.queueArn), lambdaContext(options.name, 60_000));
          failedIds = new Set((result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
        } catch (error) {
          // A thrown handler error fails the whole batch, as on AWS.
          report(error);
          continue;
        } finally {
          stopRenewing();
        }
        await deleteMessages(messages.filter((message) => !failedIds.has(message.MessageId!)));
      } catch (error) {
        if (!stopping) {
          report(error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  }

  const loops = Array.from({ length: options.concurrency }, () => loop());
  return {
    get invocations() {
      return invocations;
    },
    async stop() {
      stopping = true;
      // Polls waiting for messages end now; a batch being handled finishes first.
      stopped.abort();
      await Promise.all(loops);
    },
  };
}

export function toSqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: message.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: 'us-east-1',
      }),
    ),
  };
}
