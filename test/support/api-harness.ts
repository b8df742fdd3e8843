// The whole management API over in-memory dependencies (the management store, a fake
// SubscriptionService), called as a decoded request: what the API unit tests of each resource use.
// Every answer is checked to be JSON and never cached; a test compares any header beyond those.
import { expect } from 'vitest';
import { memoryManagementStore } from '../../shared/adapters/memory/management-store.ts';
import { managementApi } from '../../shared/api/app.ts';
import type { ApiRequest } from '../../shared/api/router.ts';
import { fakeSubscriptionService } from './fake-subscription-service.ts';

/** The time of every API test (the clock of the deps and of the fake service). */
export const NOW = Date.parse('2026-11-20T12:00:00.000Z');

export async function apiHarness(options: { allowPrivate?: boolean } = {}) {
  const store = memoryManagementStore();
  const admin = await store.createAdmin({ name: 'test', createdAt: '2026-01-01T00:00:00.000Z' });
  const subscriptions = fakeSubscriptionService({ allowPrivate: options.allowPrivate ?? false, now: () => NOW });
  const errors: unknown[] = [];
  const api = managementApi({
    deps: { store, clock: { nowMs: () => NOW }, subscriptions },
    logError: (message, detail) => errors.push({ message, detail }),
  });
  /** `path` may carry a query: what follows the first `?`, as in a URL. */
  const call = async (method: string, path: string, body?: unknown, credential: string | null = admin.credential) => {
    const queryStart = path.indexOf('?');
    const request: ApiRequest = {
      method,
      path: queryStart === -1 ? path : path.slice(0, queryStart),
      headers: credential === null ? {} : { authorization: `Bearer ${credential}` },
      query: new URLSearchParams(queryStart === -1 ? '' : path.slice(queryStart + 1)),
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    };
    const response = await api(request);
    const { 'content-type': contentType, 'cache-control': cacheControl, ...extra } = response.headers;
    expect([contentType, cacheControl]).toEqual(['application/json; charset=utf-8', 'no-store']);
    return { status: response.status, body: JSON.parse(response.body) as Record<string, any>, headers: Object.keys(extra).length === 0 ? undefined : extra };
  };
  return { store, admin, subscriptions, call, errors };
}
