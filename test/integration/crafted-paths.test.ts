// A crafted path or query through the local stack's gateway (HTTP, as a browser or curl sends it)
// cannot turn one management action into another: a `?` ends the path and starts a query the
// route does not define (400), a `?` or `/` encoded into an id is an invalid id (400), and only the
// exact path deletes a pipeline's verification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let pipelineId: number;

beforeAll(async () => {
  stack = await startTestStack();
  pipelineId = await stack.createPipeline('kept');
  const verify = await stack.admin('PUT', `/v4/pipelines/${pipelineId}/verification`, { provider: 'github', secrets: ['It is a secret to everybody'] });
  expect(verify.status).toBe(200);
});

afterAll(async () => {
  await stack?.dispose();
});

async function raw(method: string, pathAndQuery: string) {
  const response = await fetch(`${stack.info.apiUrl}${pathAndQuery}`, { method, headers: { authorization: `Bearer ${stack.info.adminToken}` } });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string } };
}

describe('crafted management paths over HTTP', () => {
  it('refuses every crafted form of "stop verifying pipeline N" that is not exactly it, and deletes nothing', async () => {
    const crafted = [
      ['DELETE', `/v4/pipelines/${pipelineId}?/verification`],
      ['DELETE', `/v4/pipelines/${pipelineId}?verification`],
      ['DELETE', `/v4/pipelines/${pipelineId}%3F/verification`],
      ['DELETE', `/v4/pipelines/${pipelineId}%3F`],
      ['DELETE', `/v4/pipelines/${pipelineId}%23/verification`],
      ['DELETE', `/v4/pipelines/${pipelineId}%2F..%2F${pipelineId}`],
      ['DELETE', `/v4/pipelines/${pipelineId}/verification?x=1`],
    ] as const;
    for (const [method, path] of crafted) {
      const answer = await raw(method, path);
      expect(answer, `${method} ${path}`).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    }
    // A PUT cut short reaches a path without PUT.
    expect(await raw('PUT', `/v4/pipelines/${pipelineId}?/verification`)).toMatchObject({ status: 405, body: { error: 'METHOD_NOT_ALLOWED' } });
    const kept = await stack.admin<{ pipeline_id: number; verification: { provider: string } | null }>('GET', `/v4/pipelines/${pipelineId}`);
    expect(kept).toMatchObject({ status: 200, body: { pipeline_id: pipelineId, verification: { provider: 'github' } } });

    expect((await raw('DELETE', `/v4/pipelines/${pipelineId}/verification`)).status).toBe(200);
    expect(await stack.admin('GET', `/v4/pipelines/${pipelineId}`)).toMatchObject({ status: 200, body: { verification: null } });
  });

  it('says which parameter is not defined, and takes the ones that are', async () => {
    const answer = await raw('GET', '/v4/pipelines?limit=1&sort=name');
    expect(answer).toEqual({ status: 400, body: { error: 'INVALID_REQUEST', message: 'invalid query: unknown parameter "sort" (GET /v4/pipelines takes only limit, cursor)' } });
    expect((await raw('GET', '/v4/pipelines?limit=1')).status).toBe(200);
    expect((await raw('GET', `/v4/pipelines/${pipelineId}/stats?days=3`)).status).toBe(200);
  });
});
