// Ingest tokens, admin credentials and request ids: their shapes, hashing and constant-time checks;
// the random strings behind them are uniform over their alphabet (no modulo bias) however many are
// drawn, and only an exact admin credential of ours names an admin.
import { describe, expect, it } from 'vitest';
import {
  adminCredentialId,
  digestsEqual,
  matchesSha256,
  newAdminCredential,
  newIngestKey,
  newIngestToken,
  newRequestId,
  randomString,
  sha256Hex,
  TOKEN_LENGTH,
} from '../../../../shared/domain/credentials.ts';

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

/** 200 distinct one-unit characters: 256 is not a multiple of 200, so a biased draw would show. */
const ALPHABET = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x100 + i)).join('');

function counts(text: string): number[] {
  const tally = new Array<number>(ALPHABET.length).fill(0);
  let foreign = 0;
  for (let i = 0; i < text.length; i++) {
    const index = text.charCodeAt(i) - 0x100;
    if (index >= 0 && index < ALPHABET.length) tally[index]!++;
    else foreign++;
  }
  expect(foreign).toBe(0);
  return tally;
}

describe('randomString', () => {
  it('draws every character of the alphabet equally often, none of them twice as often (no modulo bias)', () => {
    // 200,000 draws over 200 characters: each count is about 1,000 with a standard deviation of
    // about 32, so ±250 fails by chance with a probability far below 1e-12. A draw taking
    // `byte % 200` of every byte would give the first 56 characters about 1,560 each.
    const tally = counts(randomString(200_000, ALPHABET));
    expect(tally.reduce((sum, n) => sum + n, 0)).toBe(200_000);
    const outside = tally.map((n, index) => [index, n]).filter(([, n]) => Math.abs(n! - 1000) > 250);
    expect(outside).toEqual([]);
  });

  it('keeps drawing fresh bytes past its 4 KiB pool: many tokens in a row are all well formed and distinct', () => {
    // 500 tokens take about 25,000 random bytes, several refills of the pool.
    const tokens = Array.from({ length: 500 }, () => newIngestToken());
    for (const token of tokens) expect(token).toMatch(new RegExp(`^[0-9A-Za-z]{${TOKEN_LENGTH}}$`));
    expect(new Set(tokens).size).toBe(tokens.length);
    // Across all of them, every base62 character shows up: the draws did not collapse.
    expect(new Set(tokens.join('')).size).toBe(62);
  });

  it('gives exactly the length asked for', () => {
    for (const length of [0, 1, 7, 40]) expect(randomString(length, 'ab')).toHaveLength(length);
  });
});

describe('adminCredentialId', () => {
  it('reads the id of a whole credential of ours only', () => {
    const { id, credential } = newAdminCredential();
    expect(adminCredentialId(credential)).toBe(id);
    expect(adminCredentialId(`x${credential}`)).toBeUndefined();
    expect(adminCredentialId(`Bearer ${credential}`)).toBeUndefined();
    expect(adminCredentialId(`${credential}x`)).toBeUndefined();
    expect(adminCredentialId(`${credential}\n`)).toBeUndefined();
    expect(adminCredentialId(credential.slice(0, -1))).toBeUndefined();
  });
});
