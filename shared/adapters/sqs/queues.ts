// The events queue: new events and delivery jobs, each with its own DelaySeconds. Concurrent sends
// share SendMessageBatch calls (sqs-batching-sender.ts), so a fan-out batch that schedules many
// retries, or a processor batch that publishes many events, costs a few calls.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventsQueue } from '../../ports/delivery.ts';
import { batchingSqsSender } from './batching-sender.ts';

export function sqsEventsQueue(client: SQSClient, queueUrl: string): EventsQueue {
  const send = batchingSqsSender(client, queueUrl);
  return {
    async send(entries) {
      await Promise.all(entries.map((entry) => send(entry)));
    },
  };
}
