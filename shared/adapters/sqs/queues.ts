// The ingest and events queues, each over one batching sender (batching-sender.ts): concurrent
// sends share SendMessageBatch calls, so a fan-out batch that schedules many retries, a processor
// batch that publishes many events, or a receiver under load costs a few calls.
//   ingest queue   receiver → processor (domain/ingest/message.ts)
//   events queue   publishers → fan-out: new events and delivery jobs, each with its own DelaySeconds
// The sync queue is in sync-queue.ts, so the receiver's bundle does not carry the sync messages.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventsQueue } from '../../ports/delivery.ts';
import type { IngestQueue } from '../../ports/ingest.ts';
import { batchingSqsSender } from './batching-sender.ts';

export function sqsIngestQueue(client: SQSClient, queueUrl: string): IngestQueue {
  const send = batchingSqsSender(client, queueUrl);
  return { send: (messageBody) => send({ body: messageBody }) };
}

export function sqsEventsQueue(client: SQSClient, queueUrl: string): EventsQueue {
  const send = batchingSqsSender(client, queueUrl);
  return {
    async send(entries) {
      await Promise.all(entries.map((entry) => send(entry)));
    },
  };
}
