// /v4/pipelines through the whole management API over an in-memory store: create, list, get with
// the rejection counts of the last days, delete; and the days window those counts cover.
import { describe, expect, it } from 'vitest';
import { apiHarness, NOW } from '../../../support/api-harness.ts';
import { rejectedJson, windowStart } from '../../../../shared/api/pipelines.ts';

const setup = () => apiHarness();

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
