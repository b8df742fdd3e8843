// A pipeline's verification settings: the rules a setting must meet, and its secrets as stored;
// then at its edges: the exact bounds of a secret and of the generic provider's prefix, each field
// the generic provider needs, Standard Webhooks secrets as senders show them (and nothing around
// them), and stored secrets that are not a list of strings.
import { describe, expect, it } from 'vitest';
import {
  decodeSecrets,
  encodeSecrets,
  MAX_PREFIX_LENGTH,
  MAX_SECRET_LENGTH,
  standardWebhooksKey,
  verificationProblem,
  verifiedSignatureHeaders,
  type VerificationSettings,
} from '../../../../../../shared/domain/ingest/signatures/settings.ts';

describe('settings', () => {
  it.each([
    [{ provider: 'github' }, [], 'give 1 or 2 secrets'],
    [{ provider: 'github' }, ['a', 'b', 'c'], 'give 1 or 2 secrets'],
    [{ provider: 'github' }, ['a', 'a'], 'the secrets must differ'],
    [{ provider: 'github' }, [' a'], 'no spaces around it'],
    [{ provider: 'github' }, ['a\nb'], 'no control characters'],
    [{ provider: 'github' }, ['x'.repeat(513)], '1 to 512'],
    [{ provider: 'github', header: 'x-sig' }, ['a'], 'hmac provider only'],
    [{ provider: 'standard-webhooks' }, ['not base64!'], 'whsec_'],
    [{ provider: 'hmac', header: 'x-sig' }, ['a'], 'needs header, algorithm and encoding'],
    [{ provider: 'hmac', header: 'bad header', algorithm: 'sha256', encoding: 'hex' }, ['a'], 'HTTP header name'],
    [{ provider: 'hmac', header: 'X-Webhook-Token', algorithm: 'sha256', encoding: 'hex' }, ['a'], 'redacted as a credential'],
    [{ provider: 'hmac', header: 'x-sig', algorithm: 'sha256', encoding: 'hex', prefix: 'a,b' }, ['a'], 'prefix'],
  ] as const)('%j with %j: %s', (settings, secrets, message) => {
    expect(verificationProblem(settings as VerificationSettings, secrets)).toContain(message);
  });
});

describe('stored secrets', () => {
  it('decodeSecrets round-trips encodeSecrets and never quotes a broken plaintext in its error', () => {
    expect(decodeSecrets(encodeSecrets(['a', 'b "c"']))).toEqual(['a', 'b "c"']);
    expect(() => decodeSecrets('["s3cr3t-value"')).toThrow(/^verification secrets are not JSON$/);
    expect(() => decodeSecrets('{"a":1}')).toThrow('not a list of strings');
  });
});

const HMAC: VerificationSettings = { provider: 'hmac', header: 'x-signature', algorithm: 'sha256', encoding: 'hex' };
/** A key as Standard Webhooks senders show it: `whsec_` and base64 of 24 bytes. */
const KEY_BASE64 = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('secrets', () => {
  it(`are 1 to ${MAX_SECRET_LENGTH} characters, both ends included`, () => {
    expect(verificationProblem({ provider: 'github' }, ['x'])).toBeUndefined();
    expect(verificationProblem({ provider: 'github' }, ['x'.repeat(MAX_SECRET_LENGTH)])).toBeUndefined();
    expect(verificationProblem({ provider: 'github' }, ['x'.repeat(MAX_SECRET_LENGTH + 1)])).toBe(`a secret is 1 to ${MAX_SECRET_LENGTH} characters`);
    expect(verificationProblem({ provider: 'github' }, [''])).toBe(`a secret is 1 to ${MAX_SECRET_LENGTH} characters`);
    expect(verificationProblem({ provider: 'github' }, ['ok', ''])).toBe(`a secret is 1 to ${MAX_SECRET_LENGTH} characters`);
  });

  it('stored ones must decode to a list of strings, every one of them', () => {
    expect(decodeSecrets('["a","b"]')).toEqual(['a', 'b']);
    expect(decodeSecrets('[]')).toEqual([]);
    for (const plaintext of ['["a",1]', '[1,"a"]', '["a",null]', '[["a"]]', '"a"', '{"0":"a"}']) {
      expect(() => decodeSecrets(plaintext), plaintext).toThrow(/^verification secrets are not a list of strings$/);
    }
  });
});

describe('the generic hmac provider', () => {
  it('is complete with header, algorithm and encoding; the prefix is optional', () => {
    expect(verificationProblem(HMAC, ['k'])).toBeUndefined();
    expect(verificationProblem({ ...HMAC, prefix: 'sha256=' }, ['k'])).toBeUndefined();
  });

  it.each(['header', 'algorithm', 'encoding'] as const)('needs %s, whatever else is given', (field) => {
    const settings = { ...HMAC, prefix: 'v1=', [field]: undefined };
    expect(verificationProblem(settings, ['k'])).toBe('the hmac provider needs header, algorithm and encoding');
  });

  it(`takes a prefix of up to ${MAX_PREFIX_LENGTH} characters`, () => {
    const problem = `the prefix is at most ${MAX_PREFIX_LENGTH} characters, without commas or control characters`;
    expect(verificationProblem({ ...HMAC, prefix: 'p'.repeat(MAX_PREFIX_LENGTH) }, ['k'])).toBeUndefined();
    expect(verificationProblem({ ...HMAC, prefix: 'p'.repeat(MAX_PREFIX_LENGTH + 1) }, ['k'])).toBe(problem);
    expect(verificationProblem({ ...HMAC, prefix: 'v1\t' }, ['k'])).toBe(problem);
    expect(verificationProblem({ ...HMAC, prefix: '' }, ['k'])).toBeUndefined();
  });
});

describe('Standard Webhooks secrets', () => {
  const key = Buffer.from(KEY_BASE64, 'base64');

  it('are whsec_ and base64, or the bare base64 as the libraries take it: the same key', () => {
    expect(standardWebhooksKey(`whsec_${KEY_BASE64}`)).toEqual(key);
    expect(standardWebhooksKey(KEY_BASE64)).toEqual(key);
    expect(standardWebhooksKey('whsec_AAAA')).toEqual(Buffer.from([0, 0, 0]));
    expect(standardWebhooksKey('whsec_AAAAAA==')).toEqual(Buffer.from([0, 0, 0, 0]));
  });

  it.each([
    ['text before it', `x whsec_${KEY_BASE64}`],
    ['text before the base64', `secret:${KEY_BASE64}`],
    ['text after it', `whsec_${KEY_BASE64}!`],
    ['a length that is not a multiple of 4', `whsec_${KEY_BASE64.slice(0, -1)}`],
    ['five characters', 'whsec_AAAAA'],
    ['too little base64', 'whsec_AAA'],
    ['only the prefix', 'whsec_'],
  ])('refuse one with %s', (_what, secret) => {
    expect(standardWebhooksKey(secret)).toBeUndefined();
    expect(verificationProblem({ provider: 'standard-webhooks' }, [secret])).toMatch(/^a Standard Webhooks secret is whsec_ followed by base64/);
  });

  it('refuse two pasted on two lines (the key is read from the whole text, not a line of it)', () => {
    expect(standardWebhooksKey(`whsec_${KEY_BASE64}\nwhsec_${KEY_BASE64}`)).toBeUndefined();
    expect(standardWebhooksKey(`whsec_${KEY_BASE64}\n`)).toBeUndefined();
  });
});

describe('verifiedSignatureHeaders', () => {
  it("is the one header each provider's verifier reads, lower case; none without verification", () => {
    expect([...verifiedSignatureHeaders({ provider: 'github' })]).toEqual(['x-hub-signature-256']);
    expect([...verifiedSignatureHeaders({ provider: 'stripe' })]).toEqual(['stripe-signature']);
    expect([...verifiedSignatureHeaders({ provider: 'shopify' })]).toEqual(['x-shopify-hmac-sha256']);
    expect([...verifiedSignatureHeaders({ provider: 'slack' })]).toEqual(['x-slack-signature']);
    expect([...verifiedSignatureHeaders({ provider: 'standard-webhooks' })]).toEqual(['webhook-signature']);
    expect([...verifiedSignatureHeaders({ ...HMAC, header: 'X-Hook-Signature' })]).toEqual(['x-hook-signature']);
    expect([...verifiedSignatureHeaders(undefined)]).toEqual([]);
  });
});
