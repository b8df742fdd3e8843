// Every list of the management API pages with `limit` and an opaque `cursor`, answering
// `next_cursor` (null on the last page); a cursor that is not one of the list's own is
// INVALID_REQUEST, never a 500. In-memory stores here; test/integration/pagination.test.ts runs
// the same against DynamoDB.
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { managementApi } from '../../../../shared/api/app.ts';
import { decodeCursor, encodeCursor } from '../../../../shared/api/pagination.ts';
import { fakeSubscriptionService } from '../../../support/fake-subscription-service.ts';
import { memoryManagementStore } from '../../../../shared/adapters/memory/management-store.ts';
import { conformanceChecker } from '../../../support/openapi-conformance.ts';

const NOW = Date.parse('2026-11-20T12:00:00.000Z');

async function setup() {
  const store = memoryManagementStore();
  const admin = await store.createAdmin({ name: 'test', createdAt: '2026-01-01T00:00:00.000Z' });
  const outbound = fakeSubscriptionService({ now: () => NOW });
  const api = managementApi({ deps: { store, clock: { nowMs: () => NOW }, subscriptions: outbound }, logError: () => undefined });
  const checker = await conformanceChecker();
  const call = async (method: string, pathAndQuery: string, body?: unknown) => {
    const [path = '', query = ''] = pathAndQuery.split('?');
    const response = await api({
      method,
      path,
      headers: { authorization: `Bearer ${admin.credential}` },
      query: new URLSearchParams(query),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    checker.check({ method, path: pathAndQuery, status: response.status, headers: response.headers, body: response.body });
    return { status: response.status, body: JSON.parse(response.body) as Record<string, any> };
  };
  /** Every item of a list, page by page with `limit`, and the number of pages it took. */
  const all = async (path: string, field: string, limit: number) => {
    const items: unknown[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const page = await call('GET', `${path}${separator}limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(page.status).toBe(200);
      expect(page.body[field].length).toBeLessThanOrEqual(limit);
      items.push(...page.body[field]);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor !== null && pages < 100);
    return { items, pages };
  };
  return { store, outbound, call, all };
}

describe('pagination', () => {
  it('pages pipelines in id order, next_cursor null on the last page, no item twice or missing', async () => {
    const { call, all } = await setup();
    for (let i = 0; i < 5; i++) await call('POST', '/v4/pipelines', { name: `p${i}` });
    const { items, pages } = await all('/v4/pipelines', 'pipelines', 2);
    expect(items.map((p: any) => p.pipeline_id)).toEqual([1, 2, 3, 4, 5]);
    expect(pages).toBe(3);
    // A page that ends exactly at the end says so: no empty page after it.
    expect((await all('/v4/pipelines', 'pipelines', 5)).pages).toBe(1);
    const first = await call('GET', '/v4/pipelines');
    expect(first.body).toMatchObject({ next_cursor: null });
    expect(first.body.pipelines).toHaveLength(5);
  });

  it('pages every list to the same items as one large page', async () => {
    const { call, all, store, outbound } = await setup();
    for (let i = 0; i < 4; i++) {
      await call('POST', '/v4/pipelines', { name: `p${i}` });
      await call('POST', '/v4/tokens', { name: `t${i}` });
      await store.createAdmin({ name: `a${i}`, createdAt: '2026-02-01T00:00:00.000Z' });
    }
    const subscriptionIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      subscriptionIds.push((await call('POST', '/v4/webhook-subscriptions', { webhookUrl: `https://hooks.example.com/${i}`, events: ['webhook_received'] })).body.id);
    }
    for (let i = 0; i < 7; i++) {
      outbound.addDelivery(subscriptionIds[0]!, { eventType: 'webhook_received', createdAt: new Date(NOW - i * 60_000).toISOString() });
    }
    const lists: Array<[string, string]> = [
      ['/v4/pipelines', 'pipelines'],
      ['/v4/tokens', 'tokens'],
      ['/v4/admins', 'admins'],
      ['/v4/webhook-subscriptions', 'subscriptions'],
      [`/v4/webhook-subscriptions/${subscriptionIds[0]}/deliveries`, 'deliveries'],
      [`/v4/webhook-subscriptions/${subscriptionIds[0]}/deliveries?status=pending`, 'deliveries'],
      ['/v4/events', 'events'],
    ];
    for (const [path, field] of lists) {
      const whole = (await all(path, field, 1000)).items;
      expect(whole.length, path).toBeGreaterThan(2);
      const paged = await all(path, field, 2);
      expect(paged.items, path).toEqual(whole);
      expect(paged.pages, path).toBe(Math.ceil(whole.length / 2));
    }
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['another list\'s cursor', encodeCursor('tokens', '3f0c9a55-3c3e-4b8e-9a34-0d4b1c9e2f11')],
    ['a key of the wrong shape', encodeCursor('pipelines', 'TOKEN')],
    ['a key that is not a pipeline id', encodeCursor('pipelines', -1)],
    ['extra fields', Buffer.from(JSON.stringify({ l: 'pipelines', k: 1, pk: 'ADMIN' })).toString('base64url')],
    ['too long', 'A'.repeat(600)],
  ])('refuses a cursor that is %s with 400 INVALID_REQUEST', async (_what, cursor) => {
    const { call } = await setup();
    expect(await call('GET', `/v4/pipelines?cursor=${cursor}`)).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });

  it.each(['0', '1001', 'ten', '-1', '1.5'])('refuses limit=%s with 400 INVALID_REQUEST', async (limit) => {
    const { call } = await setup();
    expect(await call('GET', `/v4/tokens?limit=${limit}`)).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });

  it('refuses a deliveries cursor from another list, on any subscription', async () => {
    const { call } = await setup();
    const { id } = (await call('POST', '/v4/webhook-subscriptions', { webhookUrl: 'https://hooks.example.com/x', events: ['webhook_received'] })).body;
    const cursor = encodeCursor('webhook-subscriptions', id);
    expect(await call('GET', `/v4/webhook-subscriptions/${id}/deliveries?cursor=${cursor}`)).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
  });

  it('a cursor is opaque base64url of the list and the key after which the next page starts', () => {
    const cursor = encodeCursor('pipelines', 42);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'pipelines', v.number())).toBe(42);
    expect(() => decodeCursor(cursor, 'admins', v.number())).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
