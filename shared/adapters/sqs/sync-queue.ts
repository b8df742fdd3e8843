// The sync queue (domain/sync/messages.ts): triggers, run continuations, completion checks.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { serializeSyncMessage } from '../../domain/syncs/messages.ts';
import type { SyncQueue } from '../../ports/syncs.ts';
import { batchingSqsSender } from './batching-sender.ts';

export function sqsSyncQueue(client: SQSClient, queueUrl: string): SyncQueue {
  const send = batchingSqsSender(client, queueUrl);
  return {
    async send(entries) {
      await Promise.all(entries.map((entry) => send({ body: serializeSyncMessage(entry.message), delaySeconds: entry.delaySeconds })));
    },
  };
}
