// shared/domain/ingest/credential-names.ts at its edges: how a name is cut into words (trailing numbers,
// separators, a credential word split in two) and the bound on the rules it remembers. This file
// runs in a process of its own (vitest isolates test files), so the remembered rules start empty.
// test/unit/request-capture.test.ts covers the rules over headers and query alike.
import { describe, expect, it } from 'vitest';
import { CACHED_NAME_LENGTH, credentialRule, rememberedNameRules, RULE_CACHE_LIMIT } from '../../../../../shared/domain/ingest/credential-names.ts';

describe('words of a name', () => {
  it.each(['x-functions-key-2', 'ocp-apim-subscription-key-01', 'x-webhook-key.1', 'access_token_2', 'x-api-key-', 'client-secret--'])(
    'a number or separator after the credential word does not hide it: %s',
    (name) => {
      expect(credentialRule(name)).toBe('redact');
    },
  );

  it.each(['x-pass-phrase', 'pass_phrase', 'X-Private.Key-Id'.toLowerCase(), 'session-id'])('a credential word split in two is still one: %s', (name) => {
    expect(credentialRule(name)).toBe('redact');
  });

  it('only the digits at the end of a word are left out, not the ones inside it', () => {
    // `s3key2` is `s3key`, which ends in `key`; without its inner digits it would be `skey2`.
    expect(credentialRule('x-s3key2')).toBe('redact');
    expect(credentialRule('oauth2token1')).toBe('redact');
    expect(credentialRule('x-v2token10')).toBe('redact');
    expect(credentialRule('x-2fa')).toBe('keep');
  });

  it('names made of separators or numbers only are kept', () => {
    for (const name of ['-', '--', '1', '2-3', '_.-']) expect(credentialRule(name)).toBe('keep');
  });
});

describe('the rules it remembers', () => {
  it(`are at most ${RULE_CACHE_LIMIT}, names up to ${CACHED_NAME_LENGTH} characters only, however many names senders invent`, () => {
    const before = rememberedNameRules();
    const long = `x-${'a'.repeat(CACHED_NAME_LENGTH)}-token`;
    expect(credentialRule(long)).toBe('redact');
    expect(rememberedNameRules()).toBe(before);

    const longest = `x-${'b'.repeat(CACHED_NAME_LENGTH - 8)}-token`;
    expect(longest).toHaveLength(CACHED_NAME_LENGTH);
    expect(credentialRule(longest)).toBe('redact');
    expect(rememberedNameRules()).toBe(before + 1);
    // Asked again: remembered, not added twice, and the same answer.
    expect(credentialRule(longest)).toBe('redact');
    expect(rememberedNameRules()).toBe(before + 1);

    for (let i = 0; i < 3 * RULE_CACHE_LIMIT; i++) expect(credentialRule(`x-invented-${i}`)).toBe('keep');
    expect(rememberedNameRules()).toBe(RULE_CACHE_LIMIT);
    // Past the bound, names are still judged, just not remembered.
    expect(credentialRule('x-invented-token')).toBe('redact');
    expect(rememberedNameRules()).toBe(RULE_CACHE_LIMIT);
  });
});
