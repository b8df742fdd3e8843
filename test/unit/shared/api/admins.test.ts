// /v4/admins through the whole management API over an in-memory store: listing never shows a
// credential or its hash, revoking is idempotent and never the caller's own credential.
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';

const setup = () => apiHarness();

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
