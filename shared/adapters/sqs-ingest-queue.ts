import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { IngestQueue } from '../ports/ingest.ts';

export function sqsIngestQueue(client: SQSClient, queueUrl: string): IngestQueue {
  return {
    async send(messageBody) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: messageBody }));
    },
  };
}
