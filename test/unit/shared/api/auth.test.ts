// Admin authentication, the middleware in front of every route: a Bearer credential of a stored,
// unrevoked admin, or 401.
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';
import { bearerCredential } from '../../../../shared/api/auth.ts';

const setup = () => apiHarness();

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
