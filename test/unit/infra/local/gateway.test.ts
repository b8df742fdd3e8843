// The local API Gateway stand-in builds payload-2.0 events as API Gateway does.
import { createServer, request, type Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHttpApiEvent } from '../../../../infra/local/gateway.ts';

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

  it('passes a text body as sent, a leading byte order mark included, as API Gateway does', async () => {
    for (const [contentType, text] of [
      ['application/json', '{"a":1}'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
      ['text/plain; charset=utf-8', 'caf\u00e9'],
    ] as const) {
      const sent = Buffer.concat([BOM, Buffer.from(text)]);
      const event = await send({ 'content-type': contentType }, sent);
      expect(event.isBase64Encoded).toBe(false);
      expect(Buffer.from(event.body!, 'utf8')).toEqual(sent);
    }
  });
});
