// The ingest queue (receiver → processor, domain/ingest/message.ts) over one batching sender: the
// concurrent requests one process serves (the local stack under load) share SendMessageBatch calls.
// The transport is the caller's: the receiver sends with json-transport.ts, without the AWS SDK.
import type { IngestQueue } from '../../ports/ingest.ts';
import { batchingSqsSender, type SqsSendTransport } from './batching-sender.ts';

export function sqsIngestQueue(transport: SqsSendTransport, queueUrl: string): IngestQueue {
  const send = batchingSqsSender(transport, queueUrl);
  return { send: (messageBody) => send({ body: messageBody }) };
}
