// The management API put together (app.ts): a path no route has, a method the path does not have,
// and the answers every route shares.
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';
import { API_ROUTES } from '../../../../shared/api/app.ts';

const setup = () => apiHarness();

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
