// The events queue (publishers → fan-out: new events and delivery jobs, each with its own
// DelaySeconds), over one batching sender (batching-sender.ts): concurrent sends share
// SendMessageBatch calls, so a fan-out batch that schedules many retries or a processor batch that
// publishes many events costs a few calls. The ingest queue is in ingest-queue.ts and the sync
// queue in sync-queue.ts, so the receiver's bundle carries neither the SDK nor the sync messages.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventsQueue } from '../../ports/delivery.ts';
import { batchingSqsSender } from './batching-sender.ts';
import { sdkSendTransport } from './sdk-transport.ts';

export function sqsEventsQueue(client: SQSClient, queueUrl: string): EventsQueue {
  const send = batchingSqsSender(sdkSendTransport(client), queueUrl);
  return {
    async send(entries) {
      await Promise.all(entries.map((entry) => send(entry)));
    },
  };
}
