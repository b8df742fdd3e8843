// The management API put together (app.ts): a path no route has, a method the path does not have,
// and the answers every route shares.
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../../../shared/api/router.ts';
import { managementApi, type ApiDeps } from '../../../../shared/api/app.ts';
import { fakeSubscriptionService } from '../../../support/fake-subscription-service.ts';
import { memoryManagementStore } from '../../../../shared/adapters/memory/management-store.ts';

const NOW = Date.parse('2026-11-20T12:00:00.000Z');

async function setup() {
  const store = memoryManagementStore();
  const admin = await store.createAdmin({ name: 'test', createdAt: '2026-01-01T00:00:00.000Z' });
  const deps: ApiDeps = { store, clock: { nowMs: () => NOW }, subscriptions: fakeSubscriptionService() };
  const errors: unknown[] = [];
  const api = managementApi({ deps, logError: (message, detail) => errors.push({ message, detail }) });
  const call = async (method: string, path: string, body?: unknown, credential: string | null = admin.credential) => {
    const request: ApiRequest = {
      method,
      path,
      headers: credential === null ? {} : { authorization: `Bearer ${credential}` },
      query: new URLSearchParams(),
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
