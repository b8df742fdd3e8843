// The local function URL stand-in builds the events a Lambda function URL does, and refuses what
// Lambda would refuse before the function runs.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clfTime, startFunctionUrl } from '../../../../infra/local/function-url.ts';
import { eventBytes, type Gateway, type HttpHandler } from '../../../../infra/local/gateway.ts';
import { LAMBDA_SYNC_EVENT_MAX_BYTES, MAX_BODY_BYTES } from '../../../../shared/domain/ingest/event-limits.ts';

let url: Gateway;
const seen: { event: APIGatewayProxyEventV2; bytes: number }[] = [];
let fail = false;
beforeAll(async () => {
  const record: HttpHandler = async (event) => {
    if (fail) throw new Error('the function failed');
    seen.push({ event, bytes: eventBytes(event) });
    return { statusCode: 201, headers: { 'x-seen': 'yes' }, body: 'ok' };
  };
  url = await startFunctionUrl(record, 0, '127.0.0.1');
});
afterAll(() => url.close());

async function send(path: string, init: RequestInit = {}) {
  const before = seen.length;
  const response = await fetch(`${url.url}${path}`, init);
  return { status: response.status, text: await response.text(), got: seen.length > before ? seen.at(-1)! : undefined, response };
}

describe('local function URL', () => {
  it('hands every path and method to the one function, as a function URL event ($default, anonymous caller)', async () => {
    const reply = await send('/any/path?b=2&a=1&a=3', { method: 'PATCH', headers: { cookie: 'x=1; y=2', 'x-tag': 'v' } });
    expect([reply.status, reply.text, reply.response.headers.get('x-seen')]).toEqual([201, 'ok', 'yes']);
    const event = reply.got!.event;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/any/path',
      rawQueryString: 'b=2&a=1&a=3',
      queryStringParameters: { a: '1,3', b: '2' },
      cookies: ['x=1', 'y=2'],
      isBase64Encoded: false,
      requestContext: { accountId: 'anonymous', routeKey: '$default', stage: '$default', http: { method: 'PATCH', path: '/any/path' } },
    });
    expect(event.headers['x-tag']).toBe('v');
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it.each([
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['text/plain', false],
    ['application/xml', true],
    ['application/x-www-form-urlencoded', true],
    ['application/octet-stream', true],
  ])('carries a %s body base64-encoded: %s', async (contentType, base64) => {
    const { got } = await send('/', { method: 'POST', body: '{"a":1}', headers: { 'content-type': contentType } });
    expect(got!.event.isBase64Encoded).toBe(base64);
    expect(got!.event.body).toBe(base64 ? Buffer.from('{"a":1}').toString('base64') : '{"a":1}');
  });

  it('a body at the limit of its encoding, escaped at worst, makes an event Lambda takes', async () => {
    const text = `["${'\\"'.repeat((MAX_BODY_BYTES.text - 4) / 2)}"]`;
    const textReply = await send('/', { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
    expect(textReply.got!.bytes).toBeLessThanOrEqual(LAMBDA_SYNC_EVENT_MAX_BYTES);
    const binary = await send('/', { method: 'POST', body: Buffer.alloc(MAX_BODY_BYTES.base64, 0xff), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(binary.got!.bytes).toBeLessThanOrEqual(LAMBDA_SYNC_EVENT_MAX_BYTES);
  });

  it('refuses an event too large for Lambda with 413, without running the function', async () => {
    const reply = await send('/', { method: 'POST', body: `[${'\n'.repeat(3_200_000)}]`, headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(413);
    expect(reply.got).toBeUndefined();
    expect(JSON.parse(reply.text)).toEqual({ Message: `Request must be smaller than ${LAMBDA_SYNC_EVENT_MAX_BYTES} bytes for the InvokeFunction operation` });
  });

  it('answers 502 when the function fails', async () => {
    fail = true;
    try {
      expect((await send('/', { method: 'POST', body: '{}' })).status).toBe(502);
    } finally {
      fail = false;
    }
  });

  it('writes the time as a function URL does', () => {
    expect(clfTime(Date.UTC(2021, 8, 7, 22, 50, 22, 677))).toBe('07/Sep/2021:22:50:22 +0000');
  });
});
