// The local API Gateway stand-in builds payload-2.0 events as API Gateway does.
import { createServer, request, type Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventBytes, startGateway, toHttpApiEvent, type Gateway, type HttpHandler } from '../../../../infra/local/gateway.ts';
import { EVENT_RESERVE_BYTES, LAMBDA_SYNC_EVENT_MAX_BYTES, MAX_BODY_BYTES } from '../../../../shared/domain/ingest/event-limits.ts';

let server: Server;
let port: number;
const events: APIGatewayProxyEventV2[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      events.push(toHttpApiEvent(req, Buffer.concat(chunks), 'ANY /'));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(headers: Record<string, string | string[]>, body?: Buffer): Promise<APIGatewayProxyEventV2> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/?a=1', method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(events.at(-1)!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('local gateway events', () => {
  it('joins every repeat of a header with a comma, those Node would drop (Authorization) included', async () => {
    const event = await send({ 'X-Tag': ['a', 'b'], Authorization: ['Bearer one', 'Bearer two'] });
    expect(event.headers['x-tag']).toBe('a,b');
    expect(event.headers.authorization).toBe('Bearer one,Bearer two');
  });

  it('moves Cookie headers into cookies, one entry per cookie, as payload 2.0 does', async () => {
    const event = await send({ Cookie: ['session=abc; theme=dark', 'x=1'] });
    expect(event.cookies).toEqual(['session=abc', 'theme=dark', 'x=1']);
    expect(event.headers.cookie).toBeUndefined();
    expect((await send({ 'x-none': '1' })).cookies).toBeUndefined();
  });

  it('passes a body as sent, a leading byte order mark included, as API Gateway does (text as text, forms base64)', async () => {
    for (const [contentType, text, base64] of [
      ['application/json', '{"a":1}', false],
      ['application/x-www-form-urlencoded', 'a=1&b=2', true],
      ['text/plain; charset=utf-8', 'caf\u00e9', false],
    ] as const) {
      const sent = Buffer.concat([BOM, Buffer.from(text)]);
      const event = await send({ 'content-type': contentType }, sent);
      expect(event.isBase64Encoded).toBe(base64);
      expect(Buffer.from(event.body!, base64 ? 'base64' : 'utf8')).toEqual(sent);
    }
  });
});

describe('local gateway: bodies in the event, and events too large for Lambda', () => {
  let gateway: Gateway;
  const seen: { event: APIGatewayProxyEventV2; bytes: number }[] = [];
  beforeAll(async () => {
    const record: HttpHandler = async (event) => {
      seen.push({ event, bytes: eventBytes(event) });
      return { statusCode: 200, body: 'ok' };
    };
    gateway = await startGateway([{ prefix: '/', exact: true, routeKey: 'ANY /', handler: record }], 0, '127.0.0.1');
  });
  afterAll(() => gateway.close());

  /** Posts through the gateway; the answer, and the event the function got (if it ran). */
  async function post(body: Buffer | string, headers: Record<string, string>) {
    const before = seen.length;
    const response = await fetch(`${gateway.url}/?pipeline_id=1`, { method: 'POST', body, headers });
    return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type'), got: seen.length > before ? seen.at(-1)! : undefined };
  }

  it.each([
    ['application/json', false],
    ['application/json; charset=utf-8', false],
    ['text/plain', false],
    ['application/xml', false],
    ['application/x-www-form-urlencoded', true],
    ['application/vnd.api+json', true],
    ['application/octet-stream', true],
  ])('carries a %s body base64-encoded: %s, as API Gateway does', async (contentType, base64) => {
    const { got } = await post('{"a":1}', { 'content-type': contentType });
    expect(got!.event.isBase64Encoded).toBe(base64);
    expect(got!.event.body).toBe(base64 ? Buffer.from('{"a":1}').toString('base64') : '{"a":1}');
  });

  /**
   * API Gateway's limit for the request line and headers is 10,240 bytes; the worst use of it for
   * the event's size is a user agent of quotes (each escaped, and the user agent appears twice).
   */
  const worstHeaders = (contentType: string) => ({ 'content-type': contentType, 'user-agent': '"'.repeat(10_240 - 200) });

  it('a body at the limit of its encoding, escaped at worst, with headers at API Gateway\'s limit, makes an event Lambda takes', async () => {
    // Text: a JSON string of escaped quotes, each byte escaped again in the event (2x).
    const text = `["${'\\"'.repeat((MAX_BODY_BYTES.text - 4) / 2)}"]`;
    expect(Buffer.byteLength(text)).toBe(MAX_BODY_BYTES.text);
    const textReply = await post(text, worstHeaders('application/json'));
    expect(textReply.got, textReply.text).toBeDefined();
    const textOverhead = textReply.got!.bytes - 2 * MAX_BODY_BYTES.text;
    // Base64: any bytes, 4 per 3.
    const binary = Buffer.alloc(MAX_BODY_BYTES.base64, 0xff);
    const binaryReply = await post(binary, worstHeaders('application/x-www-form-urlencoded'));
    expect(binaryReply.got).toBeDefined();
    const base64Overhead = binaryReply.got!.bytes - (MAX_BODY_BYTES.base64 / 3) * 4;
    for (const [overhead, bytes] of [[textOverhead, textReply.got!.bytes], [base64Overhead, binaryReply.got!.bytes]]) {
      expect(bytes).toBeLessThanOrEqual(LAMBDA_SYNC_EVENT_MAX_BYTES);
      expect(overhead).toBeGreaterThan(40_000); // the headers really were at their worst
      expect(overhead).toBeLessThanOrEqual(EVENT_RESERVE_BYTES);
    }
  });

  it('answers an event too large for Lambda as API Gateway does (500, its JSON message), without running the function', async () => {
    // 3.2 MB of whitespace is valid JSON text and escapes to 6.4 MB.
    const reply = await post(`[${'\n'.repeat(3_200_000)}]`, { 'content-type': 'application/json' });
    expect(reply).toMatchObject({ status: 500, text: '{"message":"Internal Server Error"}', contentType: 'application/json', got: undefined });
    // The same bytes base64-encoded (4,266,670 bytes) fit.
    expect((await post(`[${'\n'.repeat(3_200_000)}]`, { 'content-type': 'application/octet-stream' })).got).toBeDefined();
    // Base64 over the limit: 4,800,000 bytes encode to 6,400,000.
    expect(await post(Buffer.alloc(4_800_000, 1), { 'content-type': 'application/octet-stream' })).toMatchObject({ status: 500, got: undefined });
  });
});
