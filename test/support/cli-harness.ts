// The CLI in-process (cli/main.ts) against an api handler served through the local stack's own
// API Gateway stand-in (infra/local/gateway.ts), on a free loopback port.
import { main } from '../../cli/main.ts';
import type { ApiHandler } from '../../functions/api/app.ts';
import { startGateway, type HttpHandler } from '../../infra/local/gateway.ts';

export interface ServedApi {
  url: string;
  close(): Promise<void>;
}

export async function serveApiHandler(handler: ApiHandler): Promise<ServedApi> {
  const gateway = await startGateway(
    [{ prefix: '/v4/', exact: false, routeKey: 'ANY /v4/{proxy+}', handler: handler as unknown as HttpHandler }],
    0,
    '127.0.0.1',
  );
  return { url: gateway.url, close: () => gateway.close() };
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
