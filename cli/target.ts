// Where the CLI points: the local stack (found through stack.json) or a deployment (--api URL).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { isLoopbackHost } from '../shared/domain/delivery/ssrf.ts';
import { CliError, type CliIo, type GlobalOptions } from './context.ts';

/** The parts of `$HOOKLAKE_DATA_DIR/stack.json` (docs/design.md) the CLI reads. */
const StackFileSchema = v.looseObject({
  apiUrl: v.pipe(v.string(), v.url()),
  /** Absent in a stack.json written before front doors: the API's root then. */
  inboundUrl: v.optional(v.pipe(v.string(), v.url())),
  adminToken: v.string(),
  region: v.string(),
  endpoints: v.looseObject({ s3: v.pipe(v.string(), v.url()), dynamodb: v.pipe(v.string(), v.url()) }),
  resources: v.looseObject({ lakeBucket: v.string(), tableName: v.string() }),
});

export type StackFile = v.InferOutput<typeof StackFileSchema>;

export function dataDir(io: CliIo): string {
  return resolve(io.cwd, io.env.HOOKLAKE_DATA_DIR || '.data');
}

export function stackFilePath(io: CliIo): string {
  return join(dataDir(io), 'stack.json');
}

/** The local stack's stack.json, or undefined when there is none. */
export function readStackFile(io: CliIo): StackFile | undefined {
  const path = stackFilePath(io);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; restart the local stack (npm start) to rewrite it`);
  }
  const result = v.safeParse(StackFileSchema, parsed);
  if (!result.success) {
    throw new CliError(`${path} is missing ${v.getDotPath(result.issues[0]) ?? 'fields'}; restart the local stack`);
  }
  return result.output;
}

export function requireStackFile(io: CliIo, hint: string): StackFile {
  const stack = readStackFile(io);
  if (stack === undefined) {
    throw new CliError(`no local stack found (${stackFilePath(io)} does not exist): start it with \`npm start\`, or ${hint}`);
  }
  return stack;
}

export interface ApiTarget {
  baseUrl: string;
  /**
   * Where webhooks are posted: the local stack's inbound URL (its function URL when it runs with
   * HOOKLAKE_FRONT_DOOR=functionUrl), or --api (a deployment's InboundUrl output may differ).
   */
  inboundUrl: string;
  credential: string;
  local: boolean;
}

/** --api URL with --admin-token / HOOKLAKE_ADMIN_TOKEN, else the local stack. */
export function resolveApiTarget(io: CliIo, options: GlobalOptions): ApiTarget {
  const explicitToken = options.adminToken ?? (io.env.HOOKLAKE_ADMIN_TOKEN || undefined);
  if (options.api !== undefined) {
    let url: URL;
    try {
      url = new URL(options.api);
    } catch {
      throw new CliError(`--api must be a URL, got ${JSON.stringify(options.api)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--api must be an http(s) URL');
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      throw new CliError(
        `--api ${url.origin} would send the admin credential unencrypted: use https:// (http:// only for 127.0.0.0/8, ::1 or localhost)`,
      );
    }
    if (explicitToken === undefined) {
      throw new CliError('--api needs an admin credential: pass --admin-token or set HOOKLAKE_ADMIN_TOKEN');
    }
    const baseUrl = options.api.replace(/\/+$/, '');
    return { baseUrl, inboundUrl: baseUrl, credential: explicitToken, local: false };
  }
  const stack = requireStackFile(io, 'pass --api URL --admin-token CREDENTIAL for a deployment');
  return {
    baseUrl: stack.apiUrl.replace(/\/+$/, ''),
    inboundUrl: (stack.inboundUrl ?? stack.apiUrl).replace(/\/+$/, ''),
    credential: options.adminToken ?? stack.adminToken,
    local: true,
  };
}
