// Composition root of the receiver: config in, handler out. The local stack calls it too.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { sqsIngestQueue } from '../../shared/adapters/sqs/queues.ts';
import type { ReceiverConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import type { ClaimStore } from '../../shared/ports/ingest.ts';
import { receiveWebhook, type ReceiveDeps } from '../../shared/services/ingest/receive.ts';

export function receiverDeps(config: ReceiverConfig): ReceiveDeps {
  let claims: Promise<ClaimStore> | undefined;
  return {
    queue: sqsIngestQueue(sqsClient(config.aws), config.ingestQueueUrl),
    // The S3 SDK is imported only when a body is too large for SQS.
    claims: () =>
      (claims ??= Promise.all([import('../../shared/adapters/clients/s3.ts'), import('../../shared/adapters/s3/objects.ts')]).then(
        ([{ s3Client }, { s3ClaimStore }]) => s3ClaimStore(s3Client(config.aws)),
      )),
    clock: systemClock,
    lakeBucket: config.lakeBucket,
    maxBodyBytes: config.maxBodyBytes,
    maxMessageBytes: config.maxMessageBytes,
  };
}

export function createReceiverHandler(deps: ReceiveDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(async (event) => {
    const reply = await receiveWebhook(
      {
        method: event.requestContext.http.method,
        rawQueryString: event.rawQueryString ?? '',
        contentType: event.headers?.['content-type'],
        headers: event.headers,
        cookies: event.cookies,
        body: event.body === undefined ? undefined : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
        bodyEncoding: event.body === undefined ? undefined : event.isBase64Encoded ? 'base64' : 'text',
      },
      deps,
    );
    return { statusCode: reply.statusCode, headers: { 'content-type': 'application/json' }, body: reply.body };
  });
}
