import type { SQSClient } from '@aws-sdk/client-sqs';
import type { IngestQueue } from '../../ports/ingest.ts';
import { batchingSqsSender } from './batching-sender.ts';

/** The ingest queue; concurrent sends share SendMessageBatch calls (sqs-batching-sender.ts). */
export function sqsIngestQueue(client: SQSClient, queueUrl: string): IngestQueue {
  const send = batchingSqsSender(client, queueUrl);
  return { send: (messageBody) => send({ body: messageBody }) };
}
