// Ingest tokens, admin credentials and request ids: their shapes, hashing and constant-time checks.
import { describe, expect, it } from 'vitest';
import { adminCredentialId, digestsEqual, matchesSha256, newAdminCredential, newIngestKey, newIngestToken, sha256Hex, newRequestId } from '../../../../shared/domain/credentials.ts';

describe('credentials', () => {
  it('request ids are 20 lowercase letters', () => {
    for (let i = 0; i < 200; i++) expect(newRequestId(Date.now() / 1000)).toMatch(/^[a-z]{20}$/);
  });

  it('keys are UUIDs with hyphens and tokens long alphanumerics without', () => {
    expect(newIngestKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const token = newIngestToken();
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(newIngestToken()).not.toBe(token);
  });

  it('hashes are SHA-256 hex and compare in constant time', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(matchesSha256('abc', sha256Hex('abc'))).toBe(true);
    expect(matchesSha256('abd', sha256Hex('abc'))).toBe(false);
    expect(digestsEqual(sha256Hex('a'), sha256Hex('a').slice(0, 62))).toBe(false);
    expect(digestsEqual('', '')).toBe(false);
  });

  it('admin credentials carry their id', () => {
    const admin = newAdminCredential();
    expect(admin.credential).toMatch(/^hla_[0-9a-f]{16}_[0-9A-Za-z]{40}$/);
    expect(adminCredentialId(admin.credential)).toBe(admin.id);
    expect(admin.sha256).toBe(sha256Hex(admin.credential));
    expect(adminCredentialId('Bearer nonsense')).toBeUndefined();
  });
});
