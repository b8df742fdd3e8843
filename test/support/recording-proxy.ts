// An HTTP proxy in front of an emulator that records what a function asks of it: method, path,
// the DynamoDB operation (X-Amz-Target) and, for small bodies, the body. Bodies stream through, so
// large S3 objects are not held. The target can be set after the proxy starts (the emulator's port
// is known only once the stack runs).
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  /** DynamoDB: e.g. `DynamoDB_20120810.UpdateItem`. */
  target: string | undefined;
  /** The request body when it is at most 64 KiB (JSON for DynamoDB). */
  body: string | undefined;
}

export interface RecordingProxy {
  endpoint: string;
  requests: RecordedRequest[];
  setTarget(url: string): void;
  close(): Promise<void>;
}

const RECORDED_BODY_BYTES = 64 * 1024;

export async function startRecordingProxy(): Promise<RecordingProxy> {
  let target: URL | undefined;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    if (target === undefined) {
      res.writeHead(503).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      target: req.headers['x-amz-target'] as string | undefined,
      body: undefined,
    };
    requests.push(recorded);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= RECORDED_BODY_BYTES) chunks.push(chunk);
      upstream.write(chunk);
    });
    req.on('end', () => {
      if (size <= RECORDED_BODY_BYTES) recorded.body = Buffer.concat(chunks).toString('utf8');
      upstream.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    setTarget(url) {
      target = new URL(url);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
