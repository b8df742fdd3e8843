// The CLI in-process (cli/main.ts) against an api handler served through the local stack's own
// API Gateway stand-in (infra/local/gateway.ts), on a free loopback port. Every answer the CLI
// receives is checked against the OpenAPI document (openapi-conformance.ts).
import { main } from '../../cli/main.ts';
import type { ApiHandler } from '../../functions/api/app.ts';
import { startGateway, type HttpHandler } from '../../infra/local/gateway.ts';
import { sharedConformanceChecker } from './openapi-conformance.ts';

export interface ServedApi {
  url: string;
  close(): Promise<void>;
}

/** Serves `handler`; every answer the CLI gets is checked against the OpenAPI document first (a failure is a 599 the CLI reports). */
export async function serveApiHandler(handler: ApiHandler): Promise<ServedApi> {
  const nonConforming: string[] = [];
  const checker = await sharedConformanceChecker();
  const checked: HttpHandler = async (event, context) => {
    const result = await handler(event, context);
    try {
      checker.check({
        method: event.requestContext.http.method,
        path: event.rawPath,
        status: result.statusCode ?? 200,
        headers: result.headers ?? {},
        body: result.body ?? '',
      });
    } catch (error) {
      nonConforming.push((error as Error).message);
      return { statusCode: 599, headers: { 'content-type': 'text/plain' }, body: `does not conform to the OpenAPI document: ${(error as Error).message}` };
    }
    return result;
  };
  const gateway = await startGateway(
    [{ prefix: '/v4/', exact: false, routeKey: 'ANY /v4/{proxy+}', handler: checked }],
    0,
    '127.0.0.1',
  );
  return {
    url: gateway.url,
    close: async () => {
      await gateway.close();
      if (nonConforming.length > 0) throw new Error(`answers that do not conform to the OpenAPI document:\n${nonConforming.join('\n')}`);
    },
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
