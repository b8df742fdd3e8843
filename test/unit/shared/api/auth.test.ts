// Admin authentication, the middleware in front of every route: a Bearer credential of a stored,
// unrevoked admin, or 401.
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../../../shared/api/router.ts';
import { managementApi, type ApiDeps } from '../../../../shared/api/app.ts';
import { fakeSubscriptionService } from '../../../support/fake-subscription-service.ts';
import { memoryManagementStore } from '../../../../shared/adapters/memory/management-store.ts';
import { bearerCredential } from '../../../../shared/api/auth.ts';

const NOW = Date.parse('2026-11-20T12:00:00.000Z');

async function setup() {
  const store = memoryManagementStore();
  const admin = await store.createAdmin({ name: 'test', createdAt: '2026-01-01T00:00:00.000Z' });
  const deps: ApiDeps = { store, clock: { nowMs: () => NOW }, subscriptions: fakeSubscriptionService() };
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
