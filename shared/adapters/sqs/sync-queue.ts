// The sync queue (scheduler, API → sync function: triggers, run continuations, completion checks),
// over one batching sender (batching-sender.ts) like the ingest and events queues.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { serializeSyncMessage } from '../../domain/syncs/messages.ts';
import type { SyncQueue } from '../../ports/syncs.ts';
import { batchingSqsSender } from './batching-sender.ts';
import { sdkSendTransport } from './sdk-transport.ts';

export function sqsSyncQueue(client: SQSClient, queueUrl: string): SyncQueue {
  const send = batchingSqsSender(sdkSendTransport(client), queueUrl);
  return {
    async send(entries) {
      await Promise.all(entries.map((entry) => send({ body: serializeSyncMessage(entry.message), delaySeconds: entry.delaySeconds })));
    },
  };
}
