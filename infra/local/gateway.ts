// A local stand-in for API Gateway HTTP API: turns node:http requests into payload-2.0 events,
// routes them as the deployed API does (`ANY /` and `ANY /v4/{proxy+}`), writes the results.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { LAMBDA_SYNC_EVENT_MAX_BYTES } from '../../shared/domain/ingest/event-limits.ts';
import { assertBoundTo, localUrl } from './network.ts';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  /** `/` matches the root only; `/v4/` matches everything below it. */
  prefix: string;
  exact: boolean;
  routeKey: string;
  handler: HttpHandler;
}

/** API Gateway's HTTP API payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/**
 * The content types whose body an HTTP API event carries as text; every other body, forms and a
 * missing content type included, is base64-encoded (as observed on AWS: text/*, and exactly these
 * application types, parameters aside).
 */
const TEXT_TYPES = /^\s*(text\/[^;\s]*|application\/(json|xml|javascript))\s*(;|$)/i;
/**
 * Bodies up to this size cannot make an event too large for Lambda (escaping at most sextuples a
 * body, and Node bounds the request line and headers to 16 KiB), so only larger events are measured.
 */
export const UNMEASURED_BODY_BYTES = 512 * 1024;
// A text body is passed on as sent, as API Gateway does: a leading byte order mark stays (the
// decoder's default would drop it, and the receiver would check and store other bytes than AWS).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What every payload-2.0 event takes from the request, as API Gateway and function URLs build it. */
export function payloadV2Request(request: IncomingMessage): {
  rawPath: string;
  rawQueryString: string;
  headers: Record<string, string>;
  cookies: string[] | undefined;
  queryStringParameters: Record<string, string> | undefined;
} {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : url.slice(queryStart + 1);
  // Every repeat of a header joined with commas (Node's own `headers` drops repeats of some, e.g.
  // Authorization), Cookie headers moved to `cookies`.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (values === undefined) continue;
    if (name === 'cookie') cookies = values.flatMap((value) => value.split(';').map((cookie) => cookie.trim()).filter((cookie) => cookie !== ''));
    else headers[name] = values.join(',');
  }
  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString !== '') {
    queryStringParameters = {};
    for (const [name, value] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
    }
  }
  return { rawPath, rawQueryString, headers, cookies: cookies === undefined || cookies.length === 0 ? undefined : cookies, queryStringParameters };
}

/** Puts the body into the event: as text when its content type is one of `textTypes` and it is UTF-8, else base64. */
export function attachBody(event: APIGatewayProxyEventV2, body: Buffer, textTypes: RegExp): void {
  if (body.byteLength === 0) return;
  const text = textTypes.test(event.headers['content-type'] ?? '') ? decodeUtf8(body) : undefined;
  if (text === undefined) {
    event.body = body.toString('base64');
    event.isBase64Encoded = true;
  } else {
    event.body = text;
  }
}

/** The request context's `http` block, alike in both front doors' events. */
export function requestHttp(request: IncomingMessage, rawPath: string, headers: Record<string, string>): APIGatewayProxyEventV2['requestContext']['http'] {
  return {
    method: request.method ?? 'GET',
    path: rawPath,
    protocol: `HTTP/${request.httpVersion}`,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: headers['user-agent'] ?? '',
  };
}

export function toHttpApiEvent(request: IncomingMessage, body: Buffer, routeKey: string): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString, headers, cookies, queryStringParameters } = payloadV2Request(request);
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(cookies === undefined ? {} : { cookies }),
    queryStringParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: requestHttp(request, rawPath, headers),
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
  attachBody(event, body, TEXT_TYPES);
  return event;
}

/** Size of the event as the invocation carries it: its JSON, in UTF-8 bytes. */
export function eventBytes(event: APIGatewayProxyEventV2): number {
  return Buffer.byteLength(JSON.stringify(event), 'utf8');
}

export function decodeUtf8(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

function findRoute(routes: readonly Route[], path: string): Route | undefined {
  return routes.find((route) => (route.exact ? path === route.prefix : path.startsWith(route.prefix)));
}

export function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  response.writeHead(statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The whole body, or undefined (after answering 413 with `tooLarge`) when it is over `maxBytes`. */
export function readBody(request: IncomingMessage, response: ServerResponse, maxBytes: number, tooLarge: unknown): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        refused = true;
        sendJson(response, 413, tooLarge);
        resolve(undefined);
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      if (!refused) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** Writes a payload-2.0 function result as the HTTP answer. */
export function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const reply = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, headers).end(reply);
}

async function handle(routes: readonly Route[], request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  const route = findRoute(routes, path);
  if (route === undefined) {
    request.resume();
    return sendJson(response, 404, { message: 'Not Found' });
  }
  const body = await readBody(request, response, MAX_PAYLOAD_BYTES, { message: 'Request Entity Too Large' });
  if (body === undefined) return;
  const event = toHttpApiEvent(request, body, route.routeKey);
  if (body.byteLength > UNMEASURED_BODY_BYTES && eventBytes(event) > LAMBDA_SYNC_EVENT_MAX_BYTES) {
    // Lambda refuses the invocation (RequestEntityTooLargeException) and API Gateway answers as it
    // does for any invocation Lambda refuses; the function never runs.
    return sendJson(response, 500, { message: 'Internal Server Error' });
  }
  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await route.handler(event, lambdaContext(route.routeKey));
  } catch (error) {
    // What API Gateway answers when the integration fails.
    console.error(`local gateway: ${route.routeKey} failed:`, error);
    return sendJson(response, 500, { message: 'Internal Server Error' });
  }
  writeResult(response, result);
}

export interface Gateway {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** An HTTP server on `host:port` (0: a free port) that hands every request to `handle`; a failure answers 500. */
export async function serveHttp(
  port: number,
  host: string,
  what: string,
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<Gateway> {
  const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      console.error(`${what} error:`, error);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = assertBoundTo(server, host, what);
  return {
    server,
    url: localUrl(host, address.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startGateway(routes: readonly Route[], port: number, host: string): Promise<Gateway> {
  return serveHttp(port, host, 'the local gateway', (request, response) => handle(routes, request, response));
}
