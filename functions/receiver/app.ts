// Composition root of the receiver: config in, handler out. The local stack calls it too.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { EMULATOR_CREDENTIALS } from '../../shared/adapters/clients/options.ts';
import { sqsIngestQueue } from '../../shared/adapters/sqs/ingest-queue.ts';
import { jsonSendTransport } from '../../shared/adapters/sqs/json-transport.ts';
import type { AwsConfig, ReceiverConfig } from '../../shared/config.ts';
import { systemClock } from '../../shared/domain/clock.ts';
import type { ClaimStore } from '../../shared/ports/ingest.ts';
import { receiveWebhook, type ReceiveDeps } from '../../shared/services/ingest/receive.ts';

/** Loads the claim-check store (the S3 client) on the first body too large for SQS: claims.ts. */
export type ClaimStoreLoader = (aws: AwsConfig) => Promise<ClaimStore>;

/** The file claims.ts becomes in the receiver's Lambda asset, beside index.mjs (infra/stack.ts builds it). */
export const CLAIMS_MODULE_FILE = 'claims.mjs';


export function receiverDeps(config: ReceiverConfig, loadClaims: ClaimStoreLoader): ReceiveDeps & { close(): void } {
  // SQS without the AWS SDK (json-transport.ts): on AWS the credentials Lambda puts in the environment.
  const endpoint = config.aws.endpoints.sqs;
  const transport = jsonSendTransport({ region: config.aws.region, endpoint, credentials: endpoint === undefined ? undefined : EMULATOR_CREDENTIALS });
  let claims: Promise<ClaimStore> | undefined;
  return {
    queue: sqsIngestQueue(transport, config.ingestQueueUrl),
    claims: () => {
      // A failed load is not kept: the next large body tries again.
      claims ??= loadClaims(config.aws).catch((error: unknown) => {
        claims = undefined;
        throw error;
      });
      return claims;
    },
    clock: systemClock,
    lakeBucket: config.lakeBucket,
    maxBodyBytes: config.maxBodyBytes,
    maxMessageBytes: config.maxMessageBytes,
    close: () => transport.destroy(),
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** What API Gateway answers for a path it has no route for; a function URL sends every path here. */
const NOT_FOUND: APIGatewayProxyStructuredResultV2 = { statusCode: 404, headers: JSON_HEADERS, body: '{"message":"Not Found"}' };

export type ReceiverHandler = (event: APIGatewayProxyEventV2, context?: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The handler for both front doors (payload 2.0: API Gateway's `ANY /` route, or a Lambda function
 * URL, which sends every path here). A plain async function: the receiver uses no middleware, and
 * middy's per-call machinery was a measurable share of its CPU per request.
 */
export function createReceiverHandler(deps: ReceiveDeps): ReceiverHandler {
  return async (event) => {
    if (event.rawPath !== '/') return NOT_FOUND;
    const body = event.body;
    const reply = await receiveWebhook(
      {
        method: event.requestContext.http.method,
        rawQueryString: event.rawQueryString ?? '',
        contentType: event.headers?.['content-type'],
        headers: event.headers,
        cookies: event.cookies,
        // A text body stays the string it came as (decoded already); base64 is decoded to bytes.
        body: body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(body, 'base64') : body,
        bodyEncoding: body === undefined ? undefined : event.isBase64Encoded ? 'base64' : 'text',
      },
      deps,
    );
    return { statusCode: reply.statusCode, headers: JSON_HEADERS, body: reply.body };
  };
}
