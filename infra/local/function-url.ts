// A local stand-in for a Lambda function URL (the receiver's front door with
// hooklake:frontDoor=functionUrl): every method and path goes to the one function, as a payload
// 2.0 event with a function URL's own marks (routeKey and stage `$default`, account `anonymous`
// for auth NONE, the time in CLF form) and its own rule for which bodies arrive as text.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LAMBDA_SYNC_EVENT_MAX_BYTES } from '../../shared/domain/ingest/event-limits.ts';
import {
  attachBody,
  eventBytes,
  lambdaContext,
  payloadV2Request,
  readBody,
  requestHttp,
  sendJson,
  serveHttp,
  UNMEASURED_BODY_BYTES,
  writeResult,
  type Gateway,
  type HttpHandler,
} from './gateway.ts';

/**
 * The content types a function URL hands over as text: `text/*` and JSON, as AWS's own examples
 * show; every other body (forms, XML, binary, no content type) arrives base64-encoded. The
 * receiver reads either (isBase64Encoded), and its limits follow how the body came.
 */
export const FUNCTION_URL_TEXT_TYPES = /^\s*(text\/[^;\s]*|application\/json)\s*(;|$)/i;

/** A buffered function URL invokes with Lambda's Invoke: an event over 6 MB is refused before the function runs. */
const MAX_READ_BYTES = 10 * 1024 * 1024;
const TOO_LARGE = { Message: `Request must be smaller than ${LAMBDA_SYNC_EVENT_MAX_BYTES} bytes for the InvokeFunction operation` };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `07/Sep/2021:22:50:22 +0000`, the form a function URL event's requestContext.time has. */
export function clfTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

export function toFunctionUrlEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString, headers, cookies, queryStringParameters } = payloadV2Request(request);
  const now = Date.now();
  const host = headers.host ?? 'localhost';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(cookies === undefined ? {} : { cookies }),
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    requestContext: {
      // What a function URL with auth NONE puts here (no caller identity).
      accountId: 'anonymous',
      apiId: 'local-function-url',
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      http: requestHttp(request, rawPath, headers),
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  attachBody(event, body, FUNCTION_URL_TEXT_TYPES);
  return event;
}

async function handle(handler: HttpHandler, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request, response, MAX_READ_BYTES, TOO_LARGE);
  if (body === undefined) return;
  const event = toFunctionUrlEvent(request, body);
  if (body.byteLength > UNMEASURED_BODY_BYTES && eventBytes(event) > LAMBDA_SYNC_EVENT_MAX_BYTES) {
    // Lambda refuses the invocation before the function runs; the URL answers with its refusal.
    return sendJson(response, 413, TOO_LARGE);
  }
  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await handler(event, lambdaContext('receiver'));
  } catch (error) {
    // A function that fails: the function URL answers 502 itself.
    console.error('local function URL: the function failed:', error);
    return sendJson(response, 502, { Message: 'Internal Server Error' });
  }
  writeResult(response, result);
}

/** Serves `handler` the way its function URL would, on its own port (0: a free one). */
export function startFunctionUrl(handler: HttpHandler, port: number, host: string): Promise<Gateway> {
  return serveHttp(port, host, 'the local function URL', (request, response) => handle(handler, request, response));
}
