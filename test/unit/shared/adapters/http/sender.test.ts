// The delivery sender against real sockets on loopback: redirects are answers (not followed), the
// attempt timeout, the 1 KB snippet, keep-alive reuse, and the SSRF guard inside the connector
// (a hostname whose DNS answer turns private is refused at connect time).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSender } from '../../../../../shared/adapters/http/sender.ts';
import { classifyResponse } from '../../../../../shared/domain/delivery/retry-policy.ts';

let server: Server;
let base: string;
let port: number;
const sockets = new Set<unknown>();
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' }).end();
    } else if (req.url === '/slow') {
      setTimeout(() => res.writeHead(200).end('late'), 1_000);
    } else if (req.url === '/big') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('é'.repeat(100_000));
    } else {
      res.writeHead(200).end('ok');
    }
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (url: string) => ({ method: 'POST' as const, url, headers: { 'content-type': 'application/json' }, body: '{}' });

describe('http sender', () => {
  it('does not follow a redirect: a 3xx is an invalid answer', async () => {
    const sender = createHttpSender({ allowPrivateTargets: false, allowLoopbackTargets: true, timeoutMs: 2000 });
    const before = hits;
    const result = await sender.send(post(`${base}/redirect`));
    expect(result.statusCode).toBe(302);
    expect(classifyResponse(result.outcome)).toMatchObject({ valid: false, errorClass: 'redirect' });
    expect(hits - before).toBe(1);
    await sender.close();
  });

  it('times out a slow endpoint', async () => {
    const sender = createHttpSender({ allowPrivateTargets: false, allowLoopbackTargets: true, timeoutMs: 200 });
    const result = await sender.send(post(`${base}/slow`));
    expect(result.outcome).toEqual({ timedOut: true });
    expect(result.latencyMs).toBeGreaterThanOrEqual(150);
    expect(result.latencyMs).toBeLessThan(900);
    await sender.close();
  });

  it('keeps at most 1 KB of the response, cut on a character boundary', async () => {
    const sender = createHttpSender({ allowPrivateTargets: false, allowLoopbackTargets: true, timeoutMs: 2000 });
    const result = await sender.send(post(`${base}/big`));
    expect(result.statusCode).toBe(500);
    expect(Buffer.byteLength(result.responseSnippet!)).toBeLessThanOrEqual(1024);
    expect(result.responseSnippet).toBe('é'.repeat(512));
    await sender.close();
  });

  it('reuses keep-alive connections for sequential attempts', async () => {
    const sender = createHttpSender({ allowPrivateTargets: false, allowLoopbackTargets: true, timeoutMs: 2000 });
    const before = sockets.size;
    for (let i = 0; i < 20; i++) expect((await sender.send(post(`${base}/ok`))).statusCode).toBe(200);
    // undici hands the socket back to its pool a tick after the body ends, so a request sent at
    // once may open a second connection; after that the two are reused.
    expect(sockets.size - before).toBeLessThanOrEqual(2);
    await sender.close();
  });

  it('refuses private targets in the URL and, at connect time, after DNS (rebinding)', async () => {
    let answer = '93.184.216.34';
    const sender = createHttpSender({
      allowPrivateTargets: false,
      timeoutMs: 500,
      lookupAll: async () => [{ address: answer, family: 4 }],
    });
    for (const host of ['127.0.0.1', '[::1]', '10.0.0.1', '[::ffff:127.0.0.1]', 'localhost', '169.254.169.254']) {
      expect((await sender.send(post(`http://${host}:${port}/ok`))).outcome, host).toEqual({ error: 'blocked_target' });
    }
    answer = '127.0.0.1';
    const before = hits;
    expect((await sender.send(post(`http://rebind.test:${port}/ok`))).outcome).toEqual({ error: 'blocked_target' });
    expect(hits).toBe(before);
    await sender.close();
    // The same DNS answer with loopback allowed (the local stack) reaches the server.
    const allowed = createHttpSender({
      allowPrivateTargets: true,
      allowLoopbackTargets: true,
      timeoutMs: 500,
      lookupAll: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    expect((await allowed.send(post(`http://rebind.test:${port}/ok`))).statusCode).toBe(200);
    await allowed.close();
  });

  it('with private targets allowed (as a deployment can be), still refuses loopback, link-local and unspecified at connect time', async () => {
    let answer = '127.0.0.1';
    const sender = createHttpSender({ allowPrivateTargets: true, timeoutMs: 500, lookupAll: async () => [{ address: answer, family: 4 }] });
    const before = hits;
    for (const host of ['127.0.0.1', '[::1]', 'localhost', '0.0.0.0', '[::]', '169.254.10.1', '[fe80::1]', '[::ffff:127.0.0.1]']) {
      expect((await sender.send(post(`http://${host}:${port}/ok`))).outcome, host).toEqual({ error: 'blocked_target' });
    }
    for (const resolved of ['127.0.0.1', '0.0.0.0', '169.254.1.1']) {
      answer = resolved;
      expect((await sender.send(post(`http://rebind.test:${port}/ok`))).outcome, resolved).toEqual({ error: 'blocked_target' });
    }
    expect(hits).toBe(before);
    await sender.close();
  });
});
