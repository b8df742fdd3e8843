// The deployed artefacts, run: the app is synthesized with bundling as `cdk deploy` would, with
// the host's DuckDB binding hidden (so the sync asset gets the Lambda's binding the way a macOS or
// ARM laptop would: the locked registry tarball, verified). Each function's asset is copied to a
// clean directory and its bundle run in a fresh Node process with only the environment its
// template entry gives it (references resolved to emulator resources, endpoints pointed at the
// emulators, plus what Lambda itself sets), one real event each, chained as on AWS:
// api (pipeline, token, subscription, sync) → receiver → processor → fan-out → sync.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, type SQSClient, type Message } from '@aws-sdk/client-sqs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { App, CfnElement } from 'aws-cdk-lib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IConstruct } from 'constructs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/app.ts';
import { lockedPackage } from '../../infra/bundling/packages.ts';
import { planProcesses } from '../../shared/adapters/duckdb/sync-plan-process.ts';
import { REPO_ROOT } from '../../infra/constructs/function.ts';
import { SYNC_ARCHITECTURE, syncNativeModules } from '../../infra/constructs/syncs.ts';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources, type LocalResources } from '../../infra/local/resources.ts';
import { toSqsEvent } from '../../infra/local/sqs-poller.ts';
import { HooklakeStack, propsFromContext } from '../../infra/stack.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { ENV } from '../../shared/config.ts';
import { classifyAddress, PRIVATE_ADDRESS_CLASSES } from '../../shared/domain/delivery/ssrf.ts';
import { startKmsEmulator, type KmsEmulator } from '../support/kms-emulator.ts';
import type { Json } from './cfn.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';
import { CLAIMS_MODULE_FILE } from '../../functions/receiver/app.ts';
import { GLUE_CATALOG_MODULE_FILE } from '../../functions/api/app.ts';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { parseIngestMessage } from '../../shared/domain/ingest/message.ts';

const run = promisify(execFile);
const TIMEOUT = 240_000;

let work: string;
let app: App;
let stack: HooklakeStack;
let resources: Record<string, Json>;
let emulators: Emulators;
let local: LocalResources & { syncQueueUrl: string };
let kms: KmsEmulator;
let sqs: SQSClient;
let target: { server: Server; url: string; received: { headers: IncomingHttpHeaders; body: string }[] };
/** Glue has no emulator: this endpoint records the api bundle's Glue calls and answers as Glue does. */
let glue: { server: Server; url: string; calls: { target: string; body: Json }[] };
let adminToken: string;

const id = (construct: IConstruct) => stack.getLogicalId((CfnElement.isCfnElement(construct) ? construct : construct.node.defaultChild) as CfnElement);

/** A unique-local or RFC 1918 address of this machine: deployed fan-outs never deliver to loopback, private targets only when allowed. */
function privateAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const { address, internal, family } of addresses ?? []) {
      if (!internal && PRIVATE_ADDRESS_CLASSES.has(classifyAddress(address))) return family === 'IPv6' ? `[${address}]` : address;
    }
  }
  throw new Error('this test needs a private (RFC 1918 or fc00::/7) address on a network interface, to receive the fan-out delivery');
}

/** A node_modules holding the sync's packages but its Lambda binding: the registry path must supply it. */
function nodeModulesWithoutBinding(): string {
  const dir = path.join(work, 'host-node-modules');
  for (const name of syncNativeModules(SYNC_ARCHITECTURE).filter((name) => !name.startsWith('@duckdb/node-bindings-'))) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(dir, name));
  }
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hooklake-bundles-'));
  const previous = { modules: process.env.HOOKLAKE_BUNDLING_NODE_MODULES, cache: process.env.HOOKLAKE_PACKAGE_CACHE_DIR };
  process.env.HOOKLAKE_BUNDLING_NODE_MODULES = nodeModulesWithoutBinding();
  process.env.HOOKLAKE_PACKAGE_CACHE_DIR = path.join(work, 'package-cache'); // empty: the binding comes from the registry
  try {
    // Private targets on: the fan-out delivers to this machine's private address.
    app = new App({ outdir: path.join(work, 'cdk.out'), context: { ...cdkJsonContext(), 'hooklake:allowPrivateTargets': true } });
    stack = new HooklakeStack(app, 'HooklakeStack', propsFromContext(app.node));
    resources = (app.synth().getStackByName('HooklakeStack').template as { Resources: Record<string, Json> }).Resources;
  } finally {
    for (const [name, value] of [['HOOKLAKE_BUNDLING_NODE_MODULES', previous.modules], ['HOOKLAKE_PACKAGE_CACHE_DIR', previous.cache]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }

  emulators = await startEmulators();
  const provisioned = await provisionResources(emulators.endpoints, { prefix: 'bundles' });
  sqs = sqsClient({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
  const syncQueue = await sqs.send(new CreateQueueCommand({ QueueName: 'bundles-sync' }));
  local = { ...provisioned, syncQueueUrl: syncQueue.QueueUrl! };
  kms = await startKmsEmulator();
  const dynamodb = dynamoDbClient({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
  adminToken = (await dynamoManagementStore(dynamodb, local.tableName).createAdmin({ name: 'bundles', createdAt: new Date().toISOString() })).credential;
  dynamodb.destroy();

  const host = privateAddress();
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host.replace(/^\[|\]$/g, ''), resolve));
  target = { server, url: `http://${host}:${(server.address() as { port: number }).port}/hook`, received };

  const glueCalls: { target: string; body: Json }[] = [];
  const glueServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = { target: String(request.headers['x-amz-target']), body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Json };
      glueCalls.push(call);
      const absent = call.target === 'AWSGlue.UpdateTable';
      response.writeHead(absent ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1', ...(absent ? { 'x-amzn-errortype': 'EntityNotFoundException' } : {}) });
      response.end(JSON.stringify(absent ? { __type: 'EntityNotFoundException', Message: 'no such table' } : {}));
    });
  });
  await new Promise<void>((resolve) => glueServer.listen(0, '127.0.0.1', resolve));
  glue = { server: glueServer, url: `http://127.0.0.1:${(glueServer.address() as { port: number }).port}`, calls: glueCalls };
}, TIMEOUT);

afterAll(async () => {
  sqs?.destroy();
  await kms?.close();
  await emulators?.stop();
  await new Promise<void>((resolve) => (target?.server ? target.server.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (glue?.server ? glue.server.close(() => resolve()) : resolve()));
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const FUNCTIONS = ['receiver', 'processor', 'api', 'fanout', 'sync'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const fnOf = (name: FunctionName) => ({ receiver: stack.receiver, processor: stack.processor, api: stack.api, fanout: stack.fanout, sync: stack.sync })[name];
const assetDir = (name: FunctionName) => path.join(app.outdir, `asset.${(resources[id(fnOf(name).fn)].Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);

/** Deploy-time values of the template's references, as the emulators name them. */
function resolveReference(value: Json): string {
  const ref = value?.Ref ?? value?.['Fn::GetAtt']?.[0];
  const byLogicalId: Record<string, string> = {
    [id(stack.ingest.queue)]: local.ingestQueueUrl,
    [id(stack.outbound.queue)]: local.eventsQueueUrl,
    [id(stack.syncs.queue)]: local.syncQueueUrl,
    [id(stack.lake.bucket)]: local.lakeBucket,
    [id(stack.stateTable.table)]: local.tableName,
    [id(stack.outbound.secretsKey)]: kms.keyArn,
  };
  const resolved = byLogicalId[ref];
  if (resolved === undefined) throw new Error(`no stand-in for ${JSON.stringify(value)}`);
  return resolved;
}

/**
 * Runs events through a function as one warm Lambda instance would: a fresh Node process in a
 * copy of the asset, environment = the template's variables + what Lambda sets + emulator
 * endpoints (and a fresh /tmp stand-in for the sync's work directory).
 */
async function invoke(name: FunctionName, events: unknown[]): Promise<Json[]> {
  const fn = resources[id(fnOf(name).fn)].Properties;
  const dir = path.join(work, `fn-${name}`);
  if (!existsSync(dir)) cpSync(assetDir(name), dir, { recursive: true });
  const [moduleName, exportName] = (fn.Handler as string).split('.');
  writeFileSync(
    path.join(work, 'runtime.mjs'),
    `import { readFileSync } from 'node:fs';
     import { pathToFileURL } from 'node:url';
     const [dir, module, exported, eventsFile] = process.argv.slice(2);
     const handler = (await import(pathToFileURL(dir + '/' + module + '.mjs').href))[exported];
     const results = [];
     for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
       const deadline = Date.now() + Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT) * 1000;
       const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, awsRequestId: crypto.randomUUID(), getRemainingTimeInMillis: () => deadline - Date.now(), callbackWaitsForEmptyEventLoop: false };
       results.push((await handler(event, context)) ?? null);
     }
     process.stdout.write(JSON.stringify(results));
     process.exit(0);`,
  );
  const eventsFile = path.join(work, `events-${name}.json`);
  writeFileSync(eventsFile, JSON.stringify(events));
  const env: Record<string, string> = {
    // What Lambda sets in every nodejs24.x environment.
    AWS_REGION: emulators.endpoints.region,
    AWS_DEFAULT_REGION: emulators.endpoints.region,
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'example',
    AWS_SESSION_TOKEN: 'example',
    AWS_LAMBDA_FUNCTION_NAME: `HooklakeStack-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.Timeout),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    LAMBDA_TASK_ROOT: dir,
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    // Emulators instead of AWS endpoints.
    HOOKLAKE_SQS_ENDPOINT: emulators.endpoints.sqs,
    HOOKLAKE_S3_ENDPOINT: emulators.endpoints.s3,
    HOOKLAKE_DYNAMODB_ENDPOINT: emulators.endpoints.dynamodb,
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ENDPOINT_URL_GLUE: glue.url,
  };
  for (const [variable, value] of Object.entries(fn.Environment.Variables as Record<string, Json>)) {
    env[variable] = typeof value === 'string' ? value : resolveReference(value);
  }
  if (env[ENV.syncWorkDir] !== undefined) env[ENV.syncWorkDir] = mkdtempSync(path.join(work, 'lambda-tmp-'));
  const { stdout } = await run(process.execPath, [path.join(work, 'runtime.mjs'), dir, moduleName!, exportName!, eventsFile], {
    cwd: dir,
    env,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  // The function's own log lines (JSON, one a line) come first; the results are the last line.
  return JSON.parse(stdout.slice(stdout.lastIndexOf('\n') + 1)) as Json[];
}

function httpEvent(method: string, rawPath: string, options: { query?: string; body?: unknown; auth?: boolean } = {}): APIGatewayProxyEventV2 {
  const routeKey = rawPath === '/' ? 'ANY /' : 'ANY /v4/{proxy+}';
  const headers: Record<string, string> = { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'content-type': 'application/json', 'user-agent': 'bundles-test' };
  if (options.auth !== false) headers.authorization = `Bearer ${adminToken}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: options.query ?? '',
    headers,
    ...(options.query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(options.query)) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: headers.host!,
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bundles-test' },
      requestId: `req-${now}`,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  };
}

const api = async (method: string, rawPath: string, body?: unknown) => {
  const [result] = await invoke('api', [httpEvent(method, rawPath, { body })]);
  return { status: result.statusCode as number, body: JSON.parse(result.body) as Json };
};

async function receiveAll(queueUrl: string, atLeast: number): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + 20_000;
  while (messages.length < atLeast && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'], VisibilityTimeout: 120 }),
    );
    messages.push(...Messages);
  }
  return messages;
}

async function consume(queueUrl: string, atLeast = 1) {
  const messages = await receiveAll(queueUrl, atLeast);
  expect(messages.length).toBeGreaterThanOrEqual(atLeast);
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return {
    messages,
    event: toSqsEvent(messages, arn),
    done: () => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) })),
  };
}

describe('the synthesized assets', () => {
  it("ship the Lambda's DuckDB binding (linux, the function's architecture), fetched from the registry at the locked version since the host's was hidden", () => {
    const locked = lockedPackage(path.join(REPO_ROOT, 'package-lock.json'), '@duckdb/node-bindings-linux-x64');
    const fetched = path.join(work, 'package-cache', '@duckdb', `node-bindings-linux-x64@${locked.version}`);
    expect(readFileSync(path.join(fetched, '.integrity'), 'utf8')).toBe(locked.integrity);
    const binding = path.join(assetDir('sync'), 'node_modules', '@duckdb', 'node-bindings-linux-x64', 'duckdb.node');
    expect(readFileSync(binding).equals(readFileSync(path.join(fetched, 'package', 'duckdb.node')))).toBe(true);
    expect(existsSync(binding)).toBe(true);
    const header = Buffer.alloc(20);
    const fd = openSync(binding, 'r');
    readSync(fd, header, 0, 20, 0);
    closeSync(fd);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(0x3e); // e_machine: x86-64, the sync function's architecture
    expect(resources[id(stack.sync.fn)].Properties.Architectures).toEqual(['x86_64']);
    for (const name of ['@duckdb/node-api', '@duckdb/node-bindings', 'detect-libc']) {
      expect(existsSync(path.join(assetDir('sync'), 'node_modules', name, 'package.json')), name).toBe(true);
    }
  });

  it('are minified ESM bundles with the require shim and the AWS SDK inside, no source maps', () => {
    for (const name of FUNCTIONS) {
      const bundle = readFileSync(path.join(assetDir(name), 'index.mjs'), 'utf8');
      expect(bundle.startsWith("import { createRequire as __hooklakeCreateRequire } from 'node:module';"), name).toBe(true);
      expect(/export\s*\{[^}]*\bhandler\b[^}]*\}/.test(bundle), `${name} exports handler`).toBe(true);
      expect(/from\s*["']@aws-sdk\//.test(bundle), `${name} imports @aws-sdk at run time`).toBe(false);
      expect(bundle.includes('sourceMappingURL'), `${name} has a source map`).toBe(false);
      expect(bundle.length / bundle.split('\n').length, `${name}: minified bundles have long lines`).toBeGreaterThan(500);
    }
    expect(existsSync(path.join(assetDir('api'), 'console', 'index.html'))).toBe(true);
  });

  it("the receiver's index.mjs carries no AWS SDK; its claim-check module (the S3 client) is a bundle of its own beside it", () => {
    const index = readFileSync(path.join(assetDir('receiver'), 'index.mjs'), 'utf8');
    const claims = readFileSync(path.join(assetDir('receiver'), CLAIMS_MODULE_FILE), 'utf8');
    // Each SDK client bundles its package.json's name: neither S3's nor SQS's is in index.mjs.
    expect(index).not.toMatch(/@aws-sdk\/client-|"PutObject"/);
    expect(index).toContain(CLAIMS_MODULE_FILE);
    expect(claims.startsWith("import { createRequire as __hooklakeCreateRequire } from 'node:module';")).toBe(true);
    expect(claims).toContain('"@aws-sdk/client-s3"');
    expect(claims).toContain('"PutObject"');
    expect(claims.length / claims.split('\n').length).toBeGreaterThan(500);
  });

  it("the api's index.mjs carries no Glue client; its view catalog (the Glue SDK) is a bundle of its own beside it", () => {
    const index = readFileSync(path.join(assetDir('api'), 'index.mjs'), 'utf8');
    const catalog = readFileSync(path.join(assetDir('api'), GLUE_CATALOG_MODULE_FILE), 'utf8');
    expect(index).not.toMatch(/@aws-sdk\/client-glue|"UpdateTable"/);
    expect(index).toContain(GLUE_CATALOG_MODULE_FILE);
    expect(catalog.startsWith("import { createRequire as __hooklakeCreateRequire } from 'node:module';")).toBe(true);
    expect(catalog).toContain('"@aws-sdk/client-glue"');
    expect(catalog).toContain('UpdateTable');
  });

  it("the sync bundle is also its query's process: it plans a query, and is stopped past its memory bound", async () => {
    const bundle = path.join(assetDir('sync'), 'index.mjs');
    const planWork = mkdtempSync(path.join(work, 'plan-'));
    const MIB = 1024 * 1024;
    const planner = planProcesses({
      entry: bundle,
      limits: { processMemoryBytes: 384 * MIB, duckDbMemoryBytes: 128 * MIB, threads: 1, tempBytes: 64 * MIB, timeLimitMs: 30_000 },
    });
    try {
      const input = (sql: string, runDir: string) => {
        mkdirSync(path.join(planWork, runDir));
        return { lakeDir: path.join(planWork, 'lake'), workDir: path.join(planWork, runDir), opsPath: path.join(planWork, runDir, 'ops.parquet'), definition: { sql, primaryKey: 'id', mapping: [], mode: 'upsert' as const } };
      };
      expect(await planner.plan(input('select 1 as id', 'a'))).toMatchObject({ rows: 1, totalOps: 1 });
      await expect(planner.plan(input(`select 1 as id, length(repeat('x', 500000000)) as n`, 'b'))).rejects.toThrow(/went past its memory bound/);
    } finally {
      planner.close();
      rmSync(planWork, { recursive: true, force: true });
    }
  });
});

describe('each bundle, run from its asset with only its template environment, takes one real event', () => {
  let pipelineId: number;
  let credentials: { key: string; token: string };
  let subscription: { id: string; secret: string };

  it('api: creates a pipeline, a token and a subscription (its secret encrypted with KMS under its id alone)', async () => {
    const pipeline = await api('POST', '/v4/pipelines', { name: 'bundles' });
    expect(pipeline.status).toBe(201);
    pipelineId = pipeline.body.pipeline_id;
    const token = await api('POST', '/v4/tokens', { name: 'bundles' });
    expect(token.status).toBe(201);
    credentials = { key: token.body.key, token: token.body.token };
    const created = await api('POST', '/v4/webhook-subscriptions', { webhookUrl: target.url, events: ['webhook_received'] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    subscription = { id: created.body.id, secret: created.body.secret };
    expect(kms.calls.filter((call) => call.operation === 'Encrypt').map((call) => call.encryptionContext)).toEqual([{ subscriptionId: subscription.id }]);
  }, TIMEOUT);

  it('receiver: answers a webhook with Kondado 200 and queues it', async () => {
    const query = `pipeline_id=${pipelineId}&key=${credentials.key}&token=${credentials.token}`;
    const [result] = await invoke('receiver', [httpEvent('POST', '/', { query, body: '{"order_id":42,"status":"paid"}', auth: false })]);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ success: true, data: { __kdd_request_id: expect.stringMatching(/^[a-z]{20}$/) } });
  }, TIMEOUT);

  it('processor: authenticates the queued webhook, lands it as Parquet, publishes webhook_received', async () => {
    const batch = await consume(local.ingestQueueUrl);
    const [result] = await invoke('processor', [batch.event]);
    expect(result?.batchItemFailures ?? []).toEqual([]);
    await batch.done();
    const s3 = s3Client({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: local.lakeBucket, Prefix: `webhooks/pipeline_id=${pipelineId}/` }));
    s3.destroy();
    expect(Contents.map((object) => object.Key)).toEqual([expect.stringMatching(/\.parquet$/)]);
  }, TIMEOUT);

  it('fan-out: delivers webhook_received to the subscription, signed with its secret (decrypted with KMS)', async () => {
    const batch = await consume(local.eventsQueueUrl);
    const [result] = await invoke('fanout', [batch.event]);
    expect(result?.batchItemFailures ?? []).toEqual([]);
    await batch.done();
    expect(target.received).toHaveLength(1);
    const [delivery] = target.received;
    const verified = new Webhook(subscription.secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as Json;
    expect(verified).toMatchObject({ type: 'webhook_received', data: { pipelineId, body: { order_id: 42, status: 'paid' } } });
    expect(kms.calls.filter((call) => call.operation === 'Decrypt').map((call) => call.encryptionContext)).toContainEqual({ subscriptionId: subscription.id });
  }, TIMEOUT);

  it("api (the schedule's message): types the landed webhook's fields and publishes pipeline_<id> to the Glue database", async () => {
    const [result] = await invoke('api', [{ hooklake: 'schema_refresh' }]);
    expect(result).toMatchObject({ refreshed: 1, changed: 1, failed: 0 });
    expect(glue.calls.map((call) => call.target)).toEqual(['AWSGlue.UpdateTable', 'AWSGlue.CreateTable']);
    expect(glue.calls[1]!.body).toMatchObject({ DatabaseName: 'hooklake', TableInput: { Name: `pipeline_${pipelineId}`, TableType: 'VIRTUAL_VIEW' } });
    const schema = await api('GET', `/v4/pipelines/${pipelineId}/schema`);
    expect(schema.body.columns.map((column: Json) => [column.name, column.type])).toEqual([['order_id', 'bigint'], ['status', 'varchar']]);
  }, TIMEOUT);

  it('sync: a run queries the lake with the shipped DuckDB binding and queues a row-op for the fan-out', async () => {
    const created = await api('POST', '/v4/syncs', {
      name: 'bundles',
      sql: `select __kdd_request_id as id, __kdd_request_body as body from webhooks where pipeline_id = ${pipelineId}`,
      primary_key: 'id',
      mode: 'upsert',
      webhook_url: target.url,
      pipeline_id: pipelineId,
      skip_test: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const started = await api('POST', `/v4/syncs/${created.body.id}/runs`);
    expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
    const batch = await consume(local.syncQueueUrl);
    const [result] = await invoke('sync', [batch.event]);
    expect(result?.batchItemFailures ?? []).toEqual([]);
    await batch.done();
    const jobs = await receiveAll(local.eventsQueueUrl, 1);
    expect(jobs.map((job) => job.Body).join('\n')).toContain(created.body.id);
  }, TIMEOUT);

  it('receiver: a body over the SQS limit loads claims.mjs, puts the body in claims/ and queues a pointer to it', async () => {
    const query = `pipeline_id=${pipelineId}&key=${credentials.key}&token=${credentials.token}`;
    const body = JSON.stringify({ blob: 'x'.repeat(1_100_000) });
    const [result] = await invoke('receiver', [httpEvent('POST', '/', { query, body, auth: false })]);
    expect(result.statusCode, result.body).toBe(200);
    const batch = await consume(local.ingestQueueUrl);
    const message = parseIngestMessage(batch.messages[0]!.Body!);
    expect(message.body).toBeUndefined();
    expect(message.bodyRef).toEqual({ bucket: local.lakeBucket, key: expect.stringMatching(/^claims\//) });
    const s3 = s3Client({ region: emulators.endpoints.region, endpoints: emulators.endpoints });
    const object = await s3.send(new GetObjectCommand({ Bucket: message.bodyRef!.bucket, Key: message.bodyRef!.key }));
    expect(await object.Body!.transformToString()).toBe(body);
    s3.destroy();
    await batch.done();
  }, TIMEOUT);
});
