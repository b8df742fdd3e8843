// A real HTTP receiver on 127.0.0.1 for outbound tests: records every request and answers as the
// test says (status per request, or a delay).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Request target as sent: path + raw query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Wall-clock ms when it arrived. */
  at: number;
}

export type Answer = { status: number; body?: string; delayMs?: number };

export interface Receiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Decides each answer; default 200. */
  respond: (request: ReceivedRequest, index: number) => Answer;
  /** Requests whose target starts with `path`. */
  at(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startReceiver(respond?: Receiver['respond']): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const receiver = {
    requests,
    respond: respond ?? (() => ({ status: 200, body: 'ok' })),
  } as Receiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const index = requests.push(request) - 1;
      const answer = receiver.respond(request, index);
      const send = () => {
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end(answer.body ?? '');
      };
      if (answer.delayMs !== undefined) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.port = port;
  receiver.url = `http://127.0.0.1:${port}`;
  receiver.at = (path: string) => requests.filter((request) => request.url.startsWith(path));
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
