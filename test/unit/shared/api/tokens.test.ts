// /v4/tokens through the whole management API over an in-memory store: the token shown once,
// stored as its hash, scoped to pipelines that exist, revoked idempotently.
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';

const setup = () => apiHarness();

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
