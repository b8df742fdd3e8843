// The console's routes over inbound requests, through the local stack: real HTTP into the gateway,
// the processor writing Parquet and quarantine lines to fauxqs, the api function reading them
// back with S3 List/Get (every answer checked against the OpenAPI document by stack.admin).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestIdTime } from '../../shared/domain/request-id.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ authCacheTtlSeconds: 0 });
});
afterAll(async () => {
  await stack?.dispose();
});

interface Summary {
  id: string;
  status: string;
  reason: string | null;
  method: string | null;
  content_type: string | null;
  bytes: number | null;
}

async function send(url: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { __kdd_request_id: string } }).data.__kdd_request_id;
}

describe('request inspector routes', () => {
  it('lists landed and rejected requests newest first, then only what arrived after the cursor', async () => {
    const pipelineId = await stack.createPipeline('inspect');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    const json = await send(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body: '{"a":1}' });
    const wrong = await send(stack.webhookUrl(pipelineId, key, 'WrongToken1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"b":2}' });

    const first = await eventually(async () => {
      const { status, body } = await stack.admin<{ requests: Summary[]; cursor: string; skipped_objects: number }>('GET', `/v4/pipelines/${pipelineId}/requests`);
      expect(status).toBe(200);
      return body.requests.length === 2 ? body : undefined;
    }, 20_000, 'two requests listed');
    const byId = new Map(first.requests.map((request) => [request.id, request]));
    expect(byId.get(json)).toEqual({ id: json, ts: expect.any(Number), status: 'landed', reason: null, method: 'POST', content_type: 'application/json', bytes: 7 });
    expect(byId.get(wrong)).toMatchObject({ status: 'rejected', reason: 'wrong_token', bytes: 7 });
    expect(first.skipped_objects).toBe(0);

    // Polling with the cursor: nothing again, then only the new request.
    const again = await stack.admin<{ requests: Summary[]; cursor: string }>('GET', `/v4/pipelines/${pipelineId}/requests?cursor=${first.cursor}`);
    expect(again.body.requests).toEqual([]);
    const later = await send(`${url}&type=add&mobile=61438333061`);
    const next = await eventually(async () => {
      const { body } = await stack.admin<{ requests: Summary[]; cursor: string }>('GET', `/v4/pipelines/${pipelineId}/requests?cursor=${again.body.cursor}`);
      return body.requests.length > 0 ? body : undefined;
    }, 20_000, 'the new request');
    expect(next.requests.map((request) => request.id)).toEqual([later]);
    expect(next.requests[0]).toMatchObject({ method: 'GET', status: 'landed' });
  });

  it('finds a request by its id alone: body, query and redacted headers; a rejected one with its reason and no token anywhere', async () => {
    const pipelineId = await stack.createPipeline('find');
    const { key, token } = await stack.createToken();
    const landed = await send(`${stack.webhookUrl(pipelineId, key, token)}&source=shop`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SECRET', 'x-github-event': 'push' },
      body: '{"order":{"id":987}}',
    });
    const rejected = await send(stack.webhookUrl(pipelineId, key, 'Wrong0Token'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' });
    expect(Math.abs(requestIdTime(landed)! - Date.now() / 1000)).toBeLessThan(5);

    const found = await eventually(async () => {
      const { status, body } = await stack.admin<Record<string, unknown>>('GET', `/v4/pipelines/${pipelineId}/requests/${landed}`);
      return status === 200 ? body : undefined;
    }, 20_000, 'the landed request');
    expect(found).toMatchObject({
      id: landed,
      status: 'landed',
      body: '{"order":{"id":987}}',
      body_truncated: false,
      query: { source: 'shop' },
      headers: { authorization: '[redacted]', 'x-github-event': 'push', 'content-type': 'application/json' },
    });
    const refused = await eventually(async () => {
      const { status, body } = await stack.admin<Record<string, unknown>>('GET', `/v4/pipelines/${pipelineId}/requests/${rejected}`);
      return status === 200 ? body : undefined;
    }, 20_000, 'the rejected request');
    expect(refused).toMatchObject({ status: 'rejected', reason: 'wrong_token', body: '{"x":1}' });
    expect(JSON.stringify([found, refused])).not.toContain(token);
    expect(JSON.stringify(refused)).not.toContain('Wrong0Token');

    // Not in this pipeline, an id of the future, and not an id at all.
    const other = await stack.createPipeline('other');
    expect((await stack.admin('GET', `/v4/pipelines/${other}/requests/${landed}`)).status).toBe(404);
    expect((await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests/zzzzzzzaaaaaaaaaaaaa`)).status).toBe(404);
    expect((await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests/NOT-AN-ID`)).status).toBe(400);
    expect((await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests?cursor=bm90LWEtY3Vyc29y`)).status).toBe(400);
    expect((await stack.admin('GET', '/v4/pipelines/999999/requests')).status).toBe(404);
  });

  it('stats count rows landed and rejections per reason, per day, oldest first', async () => {
    const pipelineId = await stack.createPipeline('stats');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    await Promise.all([1, 2, 3].map((n) => send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"n":${n}}` })));
    await send(stack.webhookUrl(pipelineId, '00000000-0000-4000-8000-000000000000', token), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const stats = await eventually(async () => {
      const { status, body } = await stack.admin<{ days: { dt: string; landed: number; rejected: number; rejected_by_reason: Record<string, number> }[] }>(
        'GET',
        `/v4/pipelines/${pipelineId}/stats?days=7`,
      );
      expect(status).toBe(200);
      const today = body.days.at(-1)!;
      return today.landed === 3 && today.rejected === 1 ? body : undefined;
    }, 20_000, 'counters');
    expect(stats.days).toHaveLength(7);
    expect(stats.days.at(-1)!.dt).toBe(new Date().toISOString().slice(0, 10));
    expect(stats.days.at(-1)!.rejected_by_reason.unknown_key).toBe(1);
    expect(stats.days.slice(0, 6).every((day) => day.landed === 0 && day.rejected === 0)).toBe(true);
    expect((await stack.admin('GET', `/v4/pipelines/${pipelineId}/stats?days=32`)).status).toBe(400);
  });
});
