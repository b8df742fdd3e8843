// The SQS sends of batching-sender.ts through the AWS SDK's client: the events and sync queues,
// whose functions carry the SDK anyway (they consume queues and call DynamoDB).
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsSendTransport } from './batching-sender.ts';

export function sdkSendTransport(client: SQSClient): SqsSendTransport {
  return {
    async sendMessage(queueUrl, body, delaySeconds) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }) }));
    },
    async sendMessageBatch(queueUrl, entries) {
      const result = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry) => ({
            Id: entry.id,
            MessageBody: entry.body,
            ...(entry.delaySeconds === undefined ? {} : { DelaySeconds: entry.delaySeconds }),
          })),
        }),
      );
      return (result.Failed ?? []).map((failure) => ({ id: failure.Id ?? '', code: failure.Code ?? 'Failed', message: failure.Message ?? '' }));
    },
  };
}
