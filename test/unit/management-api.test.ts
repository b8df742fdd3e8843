import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../shared/api/router.ts';
import {
  API_ROUTES,
  bearerCredential,
  managementApi,
  rejectedJson,
  windowStart,
  type ManagementDeps,
} from '../../shared/api/management-api.ts';
import { fakeOutboundService } from '../support/fake-outbound-service.ts';
import { memoryManagementStore } from '../support/memory-management-store.ts';

const NOW = Date.parse('2026-11-20T12:00:00.000Z');

async function setup() {
  const store = memoryManagementStore();
  const admin = await store.createAdmin({ name: 'test', createdAt: '2026-01-01T00:00:00.000Z' });
  const deps: ManagementDeps = { store, clock: { nowMs: () => NOW }, outbound: fakeOutboundService() };
  const errors: unknown[] = [];
  const api = managementApi({ deps, logError: (message, detail) => errors.push({ message, detail }) });
  const call = async (method: string, path: string, body?: unknown, credential: string | null = admin.credential) => {
    // What follows the first `?` is the query, as in a URL.
    const queryStart = path.indexOf('?');
    const request: ApiRequest = {
      method,
      path: queryStart === -1 ? path : path.slice(0, queryStart),
      headers: credential === null ? {} : { authorization: `Bearer ${credential}` },
      query: new URLSearchParams(queryStart === -1 ? '' : path.slice(queryStart + 1)),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    };
    const response = await api(request);
    // Every answer is JSON and never cached; what a test compares is any header beyond those.
    const { 'content-type': contentType, 'cache-control': cacheControl, ...extra } = response.headers;
    expect([contentType, cacheControl]).toEqual(['application/json; charset=utf-8', 'no-store']);
    return { status: response.status, body: JSON.parse(response.body) as Record<string, any>, headers: Object.keys(extra).length === 0 ? undefined : extra };
  };
  return { store, admin, call, errors };
}

describe('management API: pipelines', () => {
  it('creates, lists, gets and deletes', async () => {
    const { call } = await setup();
    const created = await call('POST', '/v4/pipelines', { name: '  orders  ' });
    expect(created).toMatchObject({
      status: 201,
      body: { pipeline_id: 1, name: 'orders', created_at: '2026-11-20T12:00:00.000Z' },
    });
    await call('POST', '/v4/pipelines', { name: 'second' });
    const list = await call('GET', '/v4/pipelines');
    expect(list.body.pipelines.map((p: { pipeline_id: number }) => p.pipeline_id)).toEqual([1, 2]);
    const got = await call('GET', '/v4/pipelines/1');
    expect(got.body).toEqual({
      pipeline_id: 1,
      name: 'orders',
      created_at: '2026-11-20T12:00:00.000Z',
      rejected: {
        total: 0,
        by_reason: {
          unknown_key: 0,
          wrong_token: 0,
          revoked_token: 0,
          pipeline_not_allowed: 0,
          unknown_pipeline: 0,
          bad_signature: 0,
          missing_signature: 0,
          stale_timestamp: 0,
          unsigned_request: 0,
        },
        days: [],
      },
      verification: null,
    });
    expect((await call('DELETE', '/v4/pipelines/1')).body).toMatchObject({ pipeline_id: 1, deleted: true });
    expect(await call('GET', '/v4/pipelines/1')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await call('DELETE', '/v4/pipelines/1')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });

  it('reports rejections of the last 7 days, most recent first', async () => {
    const { call, store } = await setup();
    await call('POST', '/v4/pipelines', { name: 'p' });
    store.rejections.push(
      { pipelineId: 1, dt: '2026-11-13', total: 50, byReason: { wrong_token: 50 } }, // 8 days ago: outside
      { pipelineId: 1, dt: '2026-11-14', total: 3, byReason: { wrong_token: 2, unknown_key: 1 } },
      { pipelineId: 1, dt: '2026-11-20', total: 1, byReason: { revoked_token: 1 } },
      { pipelineId: 2, dt: '2026-11-20', total: 9, byReason: { unknown_key: 9 } },
    );
    const { body } = await call('GET', '/v4/pipelines/1');
    expect(body.rejected.total).toBe(4);
    expect(body.rejected.by_reason).toMatchObject({ wrong_token: 2, unknown_key: 1, revoked_token: 1 });
    expect(body.rejected.days.map((d: { dt: string }) => d.dt)).toEqual(['2026-11-20', '2026-11-14']);
  });

  it.each([
    [{}, 'name is required'],
    [{ name: '' }, 'name: must not be empty'],
    [{ name: '   ' }, 'name: must not be empty'],
    [{ name: 7 }, 'name: must be a string'],
    [{ name: 'a\u0000b' }, 'control characters'],
    [{ name: 'x'.repeat(201) }, 'at most 200'],
    [{ name: 'a', id: 3 }, 'unknown field "id"'],
  ])('rejects the body %j', async (body, message) => {
    const { call } = await setup();
    const response = await call('POST', '/v4/pipelines', body);
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('INVALID_REQUEST');
    expect(response.body.message).toContain(message);
  });

  it.each(['abc', '0', '-1', '1.5', '01', '99999999999999999'])('rejects the pipeline id %s', async (id) => {
    const { call } = await setup();
    const response = await call('GET', `/v4/pipelines/${id}`);
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });
});

describe('management API: tokens', () => {
  it('creates a token once, lists and gets it without secrets, revokes idempotently', async () => {
    const { call, store } = await setup();
    await call('POST', '/v4/pipelines', { name: 'p1' });
    await call('POST', '/v4/pipelines', { name: 'p2' });
    const created = await call('POST', '/v4/tokens', { name: 'shop', pipelines: [2, 1, 2] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'shop', pipelines: [1, 2], revoked_at: null });
    expect(created.body.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.token).toMatch(/^[0-9A-Za-z]{40}$/);
    const key: string = created.body.key;
    const stored = store.tokens.get(key)!;
    expect(stored.tokenSha256).not.toBe(created.body.token);

    const list = await call('GET', '/v4/tokens');
    expect(list.body.tokens).toHaveLength(1);
    const listed = JSON.stringify(list.body);
    expect(listed).not.toContain(created.body.token);
    expect(listed).not.toContain(stored.tokenSha256);
    expect(listed).not.toContain('token"');

    const got = await call('GET', `/v4/tokens/${key.toUpperCase()}`);
    expect(got.body).toEqual({ key, name: 'shop', pipelines: [1, 2], created_at: created.body.created_at, revoked_at: null });

    const revoked = await call('DELETE', `/v4/tokens/${key}`);
    expect(revoked).toMatchObject({ status: 200, body: { key, revoked_at: '2026-11-20T12:00:00.000Z' } });
    const again = await call('DELETE', `/v4/tokens/${key}`);
    expect(again).toMatchObject({ status: 200, body: { revoked_at: '2026-11-20T12:00:00.000Z' } });
  });

  it('defaults to every pipeline', async () => {
    const { call } = await setup();
    expect((await call('POST', '/v4/tokens', { name: 'any' })).body.pipelines).toBeNull();
    expect((await call('POST', '/v4/tokens', { name: 'any', pipelines: null })).body.pipelines).toBeNull();
  });

  it('refuses a scope naming unknown pipelines with 409', async () => {
    const { call } = await setup();
    await call('POST', '/v4/pipelines', { name: 'p1' });
    const response = await call('POST', '/v4/tokens', { name: 't', pipelines: [1, 7, 9] });
    expect(response).toMatchObject({ status: 409, body: { error: 'UNKNOWN_PIPELINE', message: 'unknown pipelines: 7, 9' } });
  });

  it.each([
    [{ name: 't', pipelines: [] }, 'at least one'],
    [{ name: 't', pipelines: [0] }, 'pipelines.0'],
    [{ name: 't', pipelines: ['1'] }, 'pipelines.0'],
    [{ name: 't', pipelines: 1 }, 'pipelines'],
    [{ name: 't', pipeline: [1] }, 'unknown field "pipeline"'],
  ])('rejects the body %j', async (body, message) => {
    const { call } = await setup();
    const response = await call('POST', '/v4/tokens', body);
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(response.body.message).toContain(message);
  });

  it('answers 400 for a malformed key and 404 for an unknown one', async () => {
    const { call } = await setup();
    expect(await call('GET', '/v4/tokens/nope')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await call('GET', `/v4/tokens/${unknown}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await call('DELETE', `/v4/tokens/${unknown}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('management API: admin credentials', () => {
  it('lists them without the credential or its hash', async () => {
    const { call, store, admin } = await setup();
    const other = await store.createAdmin({ name: 'ci', createdAt: '2026-02-01T00:00:00.000Z' });
    const list = await call('GET', '/v4/admins');
    expect(list).toMatchObject({ status: 200 });
    // In id order (the list is paginated by its key).
    expect(list.body.admins).toEqual(
      [
        { id: admin.id, name: 'test', created_at: '2026-01-01T00:00:00.000Z', revoked_at: null },
        { id: other.id, name: 'ci', created_at: '2026-02-01T00:00:00.000Z', revoked_at: null },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    expect(list.body.next_cursor).toBeNull();
    const text = JSON.stringify(list.body);
    for (const secret of [admin.credential, other.credential, admin.tokenSha256, other.tokenSha256]) expect(text).not.toContain(secret);
  });

  it('revokes another credential (idempotently), which then no longer authenticates', async () => {
    const { call, store } = await setup();
    const other = await store.createAdmin({ name: 'ci', createdAt: '2026-02-01T00:00:00.000Z' });
    expect((await call('GET', '/v4/pipelines', undefined, other.credential)).status).toBe(200);
    const revoked = await call('DELETE', `/v4/admins/${other.id}`);
    expect(revoked).toEqual({
      status: 200,
      headers: undefined,
      body: { id: other.id, name: 'ci', created_at: '2026-02-01T00:00:00.000Z', revoked_at: '2026-11-20T12:00:00.000Z' },
    });
    expect(await call('GET', '/v4/pipelines', undefined, other.credential)).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
    expect((await call('DELETE', `/v4/admins/${other.id}`)).body.revoked_at).toBe('2026-11-20T12:00:00.000Z');
    expect((await call('GET', '/v4/admins')).body.admins.find((a: { id: string }) => a.id === other.id)).toMatchObject({ revoked_at: '2026-11-20T12:00:00.000Z' });
  });

  it('refuses to revoke the credential making the call, so one always remains', async () => {
    const { call, admin } = await setup();
    const response = await call('DELETE', `/v4/admins/${admin.id.toUpperCase()}`);
    expect(response).toMatchObject({ status: 409, body: { error: 'CONFLICT', message: expect.stringContaining('another') } });
    expect((await call('GET', '/v4/pipelines')).status).toBe(200);
  });

  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const { call } = await setup();
    expect(await call('DELETE', '/v4/admins/hla_nope')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('DELETE', '/v4/admins/0000000000000000')).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
  });
});

describe('management API: authentication', () => {
  it.each([
    ['no header', null],
    ['an unknown admin id', 'hla_0000000000000000_' + 'a'.repeat(40)],
    ['not a credential', 'letmein'],
  ])('refuses %s', async (_what, credential) => {
    const { call } = await setup();
    const response = await call('GET', '/v4/pipelines', undefined, credential);
    expect(response).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
  });

  it('refuses a known id with the wrong secret', async () => {
    const { call, admin } = await setup();
    const wrong = admin.credential.slice(0, -1) + (admin.credential.endsWith('a') ? 'b' : 'a');
    expect((await call('GET', '/v4/pipelines', undefined, wrong)).status).toBe(401);
  });

  it('answers 401 even for unknown routes and bad JSON', async () => {
    const { call } = await setup();
    expect((await call('GET', '/v4/whatever', undefined, null)).status).toBe(401);
    expect((await call('POST', '/v4/pipelines', '{', null)).status).toBe(401);
  });

  it('parses the bearer scheme case-insensitively', () => {
    expect(bearerCredential('Bearer abc')).toBe('abc');
    expect(bearerCredential('bearer  abc ')).toBe('abc');
    expect(bearerCredential('Basic abc')).toBeUndefined();
    expect(bearerCredential('Bearer a b')).toBeUndefined();
    expect(bearerCredential(undefined)).toBeUndefined();
  });
});

describe('management API: routing', () => {
  it('answers ROUTE_NOT_FOUND and METHOD_NOT_ALLOWED', async () => {
    const { call } = await setup();
    expect(await call('GET', '/v4/nothing')).toMatchObject({ status: 404, body: { error: 'ROUTE_NOT_FOUND' } });
    const response = await call('PUT', '/v4/pipelines/1');
    expect(response).toMatchObject({ status: 405, body: { error: 'METHOD_NOT_ALLOWED' } });
    expect(response.headers?.allow).toBe('GET, DELETE');
  });

  it('answers INVALID_JSON for a malformed body', async () => {
    const { call } = await setup();
    expect(await call('POST', '/v4/pipelines', '{"name":')).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
    expect(await call('POST', '/v4/tokens', '[1]')).toMatchObject({ status: 400, body: { error: 'INVALID_JSON' } });
  });

  it('hides store failures behind INTERNAL and logs them', async () => {
    const { call, store, errors } = await setup();
    store.listPipelines = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    expect(await call('GET', '/v4/pipelines')).toEqual({
      status: 500,
      body: { error: 'INTERNAL', message: 'internal error' },
      headers: undefined,
    });
    expect(JSON.stringify(errors)).toContain('ProvisionedThroughputExceededException');
  });
});

describe('management API: query parameters', () => {
  const SAMPLE_PARAMS: Record<string, string> = {
    '/v4/pipelines/{id}': '1',
    '/v4/tokens/{key}': '0b6f3c1e-2a4d-4e8f-9b1c-5d7e9f0a1b2c',
    '/v4/admins/{id}': '0123456789abcdef',
    '/v4/webhook-subscriptions/{id}': 'sub_0123456789abcdef0123',
    '/v4/syncs/{id}': 'syn_0123456789abcdef0123',
    '{runId}': 'run_00abcdefg_0123abcd',
    '{deliveryId}': 'dlv_0123456789',
    '{requestId}': 'abcdefghijabcdefghij',
  };
  const concrete = (path: string) =>
    path.replace(/\{(\w+)\}/g, (whole, _name: string, offset: number) => SAMPLE_PARAMS[whole] ?? SAMPLE_PARAMS[`${path.slice(0, offset)}${whole}`] ?? 'x');

  it('every route refuses a query parameter it does not define, before doing anything', async () => {
    const { call, errors } = await setup();
    expect(API_ROUTES.length).toBeGreaterThan(30);
    for (const route of API_ROUTES) {
      const path = concrete(route.path);
      const response = await call(route.method, `${path}?hooklake_undefined=1`, route.method === 'GET' ? undefined : {});
      expect(response, `${route.method} ${path}`).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
      expect(response.body.message).toContain('unknown parameter "hooklake_undefined"');
    }
    expect(errors).toEqual([]);
  });

  it('a DELETE cut at a `?` deletes nothing: /pipelines/1?/verification is not /pipelines/1', async () => {
    const { call } = await setup();
    await call('POST', '/v4/pipelines', { name: 'kept' });
    expect(await call('DELETE', '/v4/pipelines/1?/verification')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('DELETE', '/v4/pipelines/1?confirm=yes')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('GET', '/v4/pipelines/1')).toMatchObject({ status: 200, body: { name: 'kept' } });
    // The lists take their own parameters, and only them.
    expect(await call('GET', '/v4/pipelines?limit=1')).toMatchObject({ status: 200 });
    expect(await call('GET', '/v4/pipelines?limit=1&sort=name')).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });
});

describe('rejection window', () => {
  it('starts six days before today', () => {
    expect(windowStart(NOW, 7)).toBe('2026-11-14');
    expect(windowStart(Date.parse('2026-03-01T00:00:00Z'), 7)).toBe('2026-02-23');
  });

  it('sums days and fills absent reasons with zero', () => {
    const rejected = rejectedJson([
      { pipelineId: 1, dt: '2026-11-19', total: 2, byReason: { unknown_key: 2 } },
      { pipelineId: 1, dt: '2026-11-20', total: 1, byReason: { wrong_token: 1 } },
    ]);
    expect(rejected.total).toBe(3);
    expect(rejected.days[0]).toEqual({
      dt: '2026-11-20',
      total: 1,
      by_reason: {
        unknown_key: 0,
        wrong_token: 1,
        revoked_token: 0,
        pipeline_not_allowed: 0,
        unknown_pipeline: 0,
        bad_signature: 0,
        missing_signature: 0,
        stale_timestamp: 0,
        unsigned_request: 0,
      },
    });
  });
});
