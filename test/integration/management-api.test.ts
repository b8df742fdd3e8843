// The api handler (createApiHandler) against dynalite: the real DynamoDB store end to end.
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler, type ApiHandler } from '../../functions/api/app.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { rejectionCountsKey } from '../../shared/adapters/dynamodb/table-items.ts';
import type { ApiConfig } from '../../shared/config.ts';
import type { ManagementStore } from '../../shared/ports/management.ts';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources } from '../../infra/local/resources.ts';
import { sharedConformanceChecker } from '../support/openapi-conformance.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

let emulators: Emulators;
let config: ApiConfig;
let handler: ApiHandler;
let store: ManagementStore;
let credential: string;
const dynamodb = () => dynamoDbClient(config.aws);

beforeAll(async () => {
  emulators = await startEmulators();
  const resources = await provisionResources(emulators.endpoints, { prefix: 'mgmt-api' });
  config = {
    aws: { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } },
    tableName: resources.tableName,
    lakeBucket: resources.lakeBucket,
    allowPrivateTargets: false,
  };
  handler = createApiHandler(config);
  store = dynamoManagementStore(dynamodb(), config.tableName);
  credential = (await store.createAdmin({ name: 'it', createdAt: new Date().toISOString() })).credential;
});

afterAll(async () => {
  await emulators?.stop();
});

function event(method: string, path: string, options: { body?: string; auth?: string | null; base64?: boolean } = {}) {
  const auth = options.auth === undefined ? `Bearer ${credential}` : options.auth;
  const body = options.body;
  return {
    version: '2.0',
    routeKey: 'ANY /v4/{proxy+}',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.test', ...(auth === null ? {} : { Authorization: auth }), 'content-type': 'application/json' },
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'api.test',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: 'r',
      routeKey: 'ANY /v4/{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: options.base64 === true,
    ...(body === undefined ? {} : { body: options.base64 === true ? Buffer.from(body).toString('base64') : body }),
  } satisfies APIGatewayProxyEventV2;
}

/** Runs the handler; every answer is checked against the OpenAPI document (openapi-conformance.ts). */
async function invoke(apiHandler: ApiHandler, request: APIGatewayProxyEventV2) {
  const result = await apiHandler(request);
  (await sharedConformanceChecker()).check({
    method: request.requestContext.http.method,
    path: request.rawPath,
    status: result.statusCode ?? 200,
    headers: result.headers ?? {},
    body: result.body ?? '',
  });
  return result;
}

async function call(method: string, path: string, body?: unknown, options: { auth?: string | null } = {}) {
  const result = await invoke(handler, event(method, path, { ...options, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) }));
  expect(result.headers?.['content-type']).toMatch(/^application\/json/);
  return { status: result.statusCode, body: JSON.parse(result.body ?? 'null'), headers: result.headers };
}

describe('pipelines', () => {
  it('allocates sequential ids and supports full CRUD', async () => {
    const first = await call('POST', '/v4/pipelines', { name: 'orders' });
    const second = await call('POST', '/v4/pipelines', { name: 'refunds' });
    expect(first).toMatchObject({ status: 201, body: { name: 'orders', pipeline_id: expect.any(Number) } });
    expect(second.body.pipeline_id).toBe(first.body.pipeline_id + 1);
    expect(Date.parse(first.body.created_at)).not.toBeNaN();

    const list = await call('GET', '/v4/pipelines');
    expect(list.body.pipelines).toEqual(expect.arrayContaining([first.body, second.body]));

    const got = await call('GET', `/v4/pipelines/${first.body.pipeline_id}`);
    expect(got).toMatchObject({ status: 200, body: { ...first.body, rejected: { total: 0, days: [] } } });

    const deleted = await call('DELETE', `/v4/pipelines/${second.body.pipeline_id}`);
    expect(deleted).toMatchObject({ status: 200, body: { ...second.body, deleted: true } });
    expect((await call('GET', `/v4/pipelines/${second.body.pipeline_id}`)).status).toBe(404);
    expect((await call('DELETE', `/v4/pipelines/${second.body.pipeline_id}`)).body.error).toBe('NOT_FOUND');

    // Ids are never reused.
    const third = await call('POST', '/v4/pipelines', { name: 'again' });
    expect(third.body.pipeline_id).toBe(second.body.pipeline_id + 1);
  });

  it('allocates distinct ids under concurrency', async () => {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, index) => call('POST', '/v4/pipelines', { name: `c${index}` })),
    );
    const ids = created.map((response) => response.body.pipeline_id);
    expect(new Set(ids).size).toBe(10);
  });

  it('reports rejection counts of the last 7 days', async () => {
    const { body } = await call('POST', '/v4/pipelines', { name: 'rejections' });
    const id: number = body.pipeline_id;
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    const client = dynamodb();
    const put = (dt: string, counts: Record<string, number>) =>
      client.send(
        new PutItemCommand({
          TableName: config.tableName,
          Item: {
            ...rejectionCountsKey(id, dt),
            ...Object.fromEntries(Object.entries(counts).map(([name, n]) => [name, { N: String(n) }])),
          },
        }),
      );
    await put(day(0), { total: 3, wrong_token: 2, unknown_key: 1 });
    await put(day(2), { total: 1, revoked_token: 1 });
    await put(day(10), { total: 99, wrong_token: 99 });
    client.destroy();

    const got = await call('GET', `/v4/pipelines/${id}`);
    expect(got.body.rejected).toMatchObject({
      total: 4,
      by_reason: { wrong_token: 2, unknown_key: 1, revoked_token: 1, pipeline_not_allowed: 0, unknown_pipeline: 0 },
    });
    expect(got.body.rejected.days.map((d: { dt: string }) => d.dt)).toEqual([day(0), day(2)]);
  });
});

describe('admin credentials', () => {
  it('lists them (never the hash) and revokes another one, which then gets 401; never the caller\'s own', async () => {
    const other = await store.createAdmin({ name: 'ci', createdAt: new Date().toISOString() });
    const list = await call('GET', '/v4/admins');
    expect(list.status).toBe(200);
    expect(list.body.admins.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['it', 'ci']));
    expect(JSON.stringify(list.body)).not.toContain(other.tokenSha256);
    expect((await call('GET', '/v4/pipelines', undefined, { auth: `Bearer ${other.credential}` })).status).toBe(200);

    const revoked = await call('DELETE', `/v4/admins/${other.id}`);
    expect(revoked).toMatchObject({ status: 200, body: { id: other.id, name: 'ci', revoked_at: expect.any(String) } });
    expect((await call('GET', '/v4/pipelines', undefined, { auth: `Bearer ${other.credential}` })).status).toBe(401);
    expect((await store.findAdmin(other.id))?.revokedAt).toBe(revoked.body.revoked_at);

    // Idempotent in DynamoDB itself: a second revocation, later, keeps the first time.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await call('DELETE', `/v4/admins/${other.id}`);
    expect(again).toMatchObject({ status: 200, body: { id: other.id, revoked_at: revoked.body.revoked_at } });
    expect((await store.revokeAdmin(other.id, '2999-01-01T00:00:00.000Z'))?.revokedAt).toBe(revoked.body.revoked_at);
    expect((await store.findAdmin(other.id))?.revokedAt).toBe(revoked.body.revoked_at);
    expect((await call('GET', '/v4/pipelines', undefined, { auth: `Bearer ${other.credential}` })).status).toBe(401);

    const self = (await store.listAdmins({ limit: 1000 })).items.find((a) => a.name === 'it')!;
    expect(await call('DELETE', `/v4/admins/${self.id}`)).toMatchObject({ status: 409, body: { error: 'CONFLICT' } });
    expect(await call('DELETE', '/v4/admins/00000000000000ff')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('tokens', () => {
  it('creates (token shown once, only its hash stored), lists, gets and revokes idempotently', async () => {
    const pipeline = (await call('POST', '/v4/pipelines', { name: 'scoped' })).body.pipeline_id;
    const created = await call('POST', '/v4/tokens', { name: 'shop', pipelines: [pipeline] });
    expect(created).toMatchObject({ status: 201, body: { name: 'shop', pipelines: [pipeline], revoked_at: null } });
    const { key, token } = created.body as { key: string; token: string };
    expect(token).toMatch(/^[0-9A-Za-z]{40}$/);

    // The table holds the SHA-256 only.
    const client = dynamodb();
    const items = await client.send(
      new QueryCommand({
        TableName: config.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'TOKEN' } },
      }),
    );
    client.destroy();
    const raw = JSON.stringify(items.Items);
    expect(raw).not.toContain(token);
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(token).digest('hex');
    expect(raw).toContain(hash);

    const list = await call('GET', '/v4/tokens');
    expect(list.body.tokens).toContainEqual({
      key,
      name: 'shop',
      pipelines: [pipeline],
      created_at: created.body.created_at,
      revoked_at: null,
    });
    const listed = JSON.stringify(list.body);
    expect(listed).not.toContain(token);
    expect(listed).not.toContain(hash);
    expect(listed).not.toMatch(/sha256|"token"/i);

    const got = await call('GET', `/v4/tokens/${key}`);
    expect(got.body).not.toHaveProperty('token');
    expect(got.body).toMatchObject({ key, revoked_at: null });

    const revoked = await call('DELETE', `/v4/tokens/${key}`);
    expect(revoked).toMatchObject({ status: 200, body: { key, revoked_at: expect.any(String) } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await call('DELETE', `/v4/tokens/${key}`);
    expect(again).toMatchObject({ status: 200, body: { revoked_at: revoked.body.revoked_at } });
    expect((await call('GET', `/v4/tokens/${key}`)).body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it('refuses a scope naming a pipeline that does not exist', async () => {
    const response = await call('POST', '/v4/tokens', { name: 't', pipelines: [999_999] });
    expect(response).toMatchObject({ status: 409, body: { error: 'UNKNOWN_PIPELINE', message: expect.stringContaining('999999') } });
    const list = await call('GET', '/v4/tokens');
    expect(list.body.tokens.map((t: { name: string }) => t.name)).not.toContain('t');
  });

  it('answers 404 for unknown keys, revoke included', async () => {
    const unknown = '3f0c9a55-3c3e-4b8e-9a34-0d4b1c9e2f11';
    expect(await call('GET', `/v4/tokens/${unknown}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await call('DELETE', `/v4/tokens/${unknown}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('auth and errors', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['an unknown admin', 'Bearer hla_0123456789abcdef_' + 'x'.repeat(40)],
  ])('refuses %s with 401', async (_what, auth) => {
    const response = await call('GET', '/v4/pipelines', undefined, { auth });
    expect(response).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
  });

  it('refuses a known admin id with a wrong secret', async () => {
    const wrong = credential.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await call('GET', '/v4/pipelines', undefined, { auth: `Bearer ${wrong}` })).status).toBe(401);
  });

  it('answers malformed JSON with 400 INVALID_JSON, also base64-encoded', async () => {
    expect(await call('POST', '/v4/pipelines', '{"name": "x"')).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
    const result = await invoke(handler, event('POST', '/v4/pipelines', { body: '{"name":"b64"}', base64: true }));
    expect(result.statusCode).toBe(201);
  });

  it('answers unknown routes and methods with 404 and 405', async () => {
    expect(await call('GET', '/v4/widgets')).toMatchObject({ status: 404, body: { error: 'ROUTE_NOT_FOUND' } });
    const response = await call('PATCH', '/v4/tokens');
    expect(response).toMatchObject({ status: 405, body: { error: 'METHOD_NOT_ALLOWED' } });
    expect(response.headers?.allow).toBe('POST, GET');
  });

  it('answers an oversized body with 413', async () => {
    const response = await call('POST', '/v4/pipelines', JSON.stringify({ name: 'x'.repeat(70_000) }));
    expect(response).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 500 INTERNAL without detail when the table is missing', async () => {
    const broken = createApiHandler({ ...config, tableName: 'no-such-table' });
    // Capture what the shared logger writes (the suite runs with logging silenced).
    const logged: unknown[] = [];
    const originalWrite = process.stderr.write.bind(process.stderr);
    const originalLevel = process.env.HOOKLAKE_LOG_LEVEL;
    delete process.env.HOOKLAKE_LOG_LEVEL;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const result = await invoke(broken, event('GET', '/v4/pipelines'));
      // Auth reads the table first, so even that fails safely.
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body!)).toEqual({ error: 'INTERNAL', message: 'internal error' });
    } finally {
      process.stderr.write = originalWrite;
      if (originalLevel === undefined) delete process.env.HOOKLAKE_LOG_LEVEL;
      else process.env.HOOKLAKE_LOG_LEVEL = originalLevel;
    }
    const text = JSON.stringify(logged);
    expect(text).toContain('ResourceNotFound');
    expect(text).not.toContain(credential);
  });
});

describe('the store', () => {
  it('lists and finds admins', async () => {
    const created = await store.createAdmin({ name: 'second', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(created.credential).toMatch(/^hla_[0-9a-f]{16}_[0-9A-Za-z]{40}$/);
    expect(await store.findAdmin(created.id)).toEqual({
      id: created.id,
      name: 'second',
      tokenSha256: created.tokenSha256,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect((await store.listAdmins({ limit: 1000 })).items.map((a) => a.id)).toContain(created.id);
    expect(await store.findAdmin('ffffffffffffffff')).toBeUndefined();
  });
});
