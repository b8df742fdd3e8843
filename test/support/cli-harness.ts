// The CLI in-process (cli/main.ts) against an api handler served by a tiny node:http server that
// turns each request into an API Gateway HTTP API (payload 2.0) event, as the gateway would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { main } from '../../cli/main.ts';
import type { ApiHandler } from '../../functions/api/app.ts';

export interface ServedApi {
  url: string;
  close(): Promise<void>;
}

/** node:http → APIGatewayProxyEventV2 → handler → response, on a free loopback port. */
export async function serveApiHandler(handler: ApiHandler): Promise<ServedApi> {
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
    const body = Buffer.concat(chunks);
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: 'ANY /v4/{proxy+}',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: { method: request.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: '' },
        requestId: 'r',
        routeKey: 'ANY /v4/{proxy+}',
        stage: '$default',
        time: '',
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
      ...(body.byteLength > 0 ? { body: body.toString('utf8') } : {}),
    };
    const result = await handler(event);
    response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: any;
}

/** Runs `hooklake ...args` in-process with captured output; `cwd` doubles as HOOKLAKE_DATA_DIR. */
export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { HOOKLAKE_DATA_DIR: options.cwd, ...options.env },
    cwd: options.cwd,
  });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}
