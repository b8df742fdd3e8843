// A pipeline's verification settings: the rules a setting must meet, and its secrets as stored.
import { describe, expect, it } from 'vitest';
import { decodeSecrets, encodeSecrets, verificationProblem, type VerificationSettings } from '../../../../../../shared/domain/ingest/signatures/settings.ts';

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
