import fc from 'fast-check';
import { credentialName, plainName, secret, signatureName } from '../../../../support/header-names.ts';
import { describe, expect, it } from 'vitest';
import { credentialRule, isCredentialName, REDACTED, SIGNATURE_HEADERS } from '../../../../../shared/domain/ingest/credential-names.ts';
import { interpretInbound } from '../../../../../shared/domain/ingest/kondado.ts';
import { captureHeaders, captureQuery, storedHeaders } from '../../../../../shared/domain/ingest/request-capture.ts';

const NONE: ReadonlySet<string> = new Set();
/** The headers as the lake and the quarantine store them for a pipeline whose verifier reads `needed`. */
const stored = (headers: Record<string, string | undefined>, needed: ReadonlySet<string> = NONE) => storedHeaders(captureHeaders(headers), needed)!;
const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
/** The body a GET stores, its data parameters decoded (the same pairs as its captured query). */
function getBody(pairs: [string, string][]): string {
  const query = pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  const decision = interpretInbound({ method: 'GET', rawQueryString: `pipeline_id=1&key=${KEY}&token=t&${query}` }, 1_000_000);
  if (!decision.ok) throw new Error(decision.error);
  return decision.request.body;
}

describe('credential names, in headers and query alike', () => {
  const documented = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-amz-security-token'];
  // Stored in clear before the rules by name ending and word.
  const reviewed = ['x-functions-key', 'ocp-apim-subscription-key', 'x-access-key', 'x-webhook-key', 'x-signing-key', 'x-signature-key', 'bearer'];

  it('redacts the documented credential headers and those a review found stored in clear, whatever their case', () => {
    for (const name of [...documented, ...reviewed]) {
      expect(stored({ [name.toUpperCase()]: `value of ${name}` })).toEqual({ [name]: REDACTED });
      expect(captureQuery([[name, `value of ${name}`]])).toEqual({ [name]: REDACTED });
    }
  });

  it.each([
    ['x-shopify-access-token'],
    ['x-client-secret'],
    ['x-password'],
    ['x-goog-api-key'],
    ['x-apikey'],
    ['x-session-id'],
    ['x-authorization'],
    ['x-my-credentials'],
    ['cookie2'],
    ['x-private-key'],
    ['x-csrf-token'],
    ['X_Db_Password'],
    ['x-api-token-2'],
    ['www-authenticate'],
    ['x-jwt-assertion'],
  ])('redacts the header %s (a credential word, or a last word ending in one)', (name) => {
    expect(stored({ [name]: 'hunter2' })).toEqual({ [name.toLowerCase()]: REDACTED });
  });

  it.each([
    ['access_token'],
    ['api_key'],
    ['apikey'],
    ['apiKey'],
    ['AccessToken'],
    ['secret'],
    ['password'],
    ['auth'],
    ['client_secret'],
    ['refresh_token'],
    ['hub.verify_token'],
    ['auth[token]'],
    ['X-Amz-Credential'],
    ['X-Amz-Security-Token'],
    ['X-Amz-Signature'],
    ['sig'],
    ['signature'],
    ['sign'],
  ])('redacts the query parameter %s in the captured query and in a GET body', (name) => {
    expect(captureQuery([[name, 'hunter2'], ['type', 'add']])).toEqual({ [name]: REDACTED, type: 'add' });
    expect(getBody([[name, 'hunter2'], ['type', 'add']])).not.toContain('hunter2');
    expect(getBody([[name, 'hunter2'], ['type', 'add']])).toContain('"type":"add"');
  });

  it('keeps names that only look like credentials: other words, or the words not at the end', () => {
    const names = ['author', 'keyword', 'tokens_left', 'x-key-id', 'secretary', 'passport', 'x-signing-key-id', 'type', 'mobile', 'x-github-event', 'signal'];
    for (const name of names) expect(credentialRule(name)).toBe('keep');
    expect(captureQuery(names.map((name) => [name, 'v']))).toEqual(Object.fromEntries(names.map((name) => [name, 'v'])));
    expect(stored(Object.fromEntries(names.map((name) => [name, 'v'])))).toEqual(Object.fromEntries(names.map((name) => [name, 'v'])));
  });

  it("keeps the providers' signature headers for the verifier; stores only the one the pipeline's verifier reads, and their timestamps and ids", () => {
    const provider = Object.fromEntries([...SIGNATURE_HEADERS].map((name) => [name, 'sha256=abc']));
    for (const name of SIGNATURE_HEADERS) expect(isCredentialName(name)).toBe(false);
    expect(captureHeaders(provider)).toEqual(provider);
    expect(stored(provider)).toEqual({
      ...provider,
      'x-hub-signature-256': REDACTED,
      'x-hub-signature': REDACTED,
      'stripe-signature': REDACTED,
      'x-shopify-hmac-sha256': REDACTED,
      'x-slack-signature': REDACTED,
      'webhook-signature': REDACTED,
    });
    expect(stored(provider, new Set(['x-hub-signature-256']))).toMatchObject({ 'x-hub-signature-256': 'sha256=abc', 'stripe-signature': REDACTED });
    // A generic sender's signature header: kept for an hmac verifier reading it, redacted otherwise.
    expect(captureHeaders({ 'X-Signature': 'abc', 'x-hook-hmac': 'def' })).toEqual({ 'x-signature': 'abc', 'x-hook-hmac': 'def' });
    expect(stored({ 'X-Signature': 'abc', 'x-hook-hmac': 'def' }, new Set(['x-signature']))).toEqual({ 'x-signature': 'abc', 'x-hook-hmac': REDACTED });
  });

  it('storedHeaders hands back the same object when there is nothing to redact', () => {
    const headers = captureHeaders({ 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=abc' });
    expect(storedHeaders(headers, new Set(['x-hub-signature-256']))).toBe(headers);
    expect(storedHeaders(undefined, NONE)).toBeUndefined();
  });
});

const PROTOCOL_PARAMETERS: ReadonlySet<string> = new Set(['pipeline_id', 'key', 'token']);

describe('credential names: properties over generated names', () => {
  it('a credential name is redacted in headers (as captured and as stored) and in the query and a GET body, alike', () => {
    fc.assert(
      fc.property(credentialName, secret, (name, value) => {
        const lower = name.toLowerCase();
        expect(captureHeaders({ [name]: value })).toEqual({ [lower]: REDACTED });
        expect(storedHeaders(captureHeaders({ [name]: value }), new Set([lower]))).toEqual({ [lower]: REDACTED });
        expect(captureQuery([[name, value]])).toEqual({ [name]: REDACTED });
        // (`key` and `token` as such are the protocol's own parameters, never data.)
        if (!PROTOCOL_PARAMETERS.has(name)) expect(getBody([[name, value]])).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('a signature name reaches the verifier, is stored only where the verifier reads it, and is redacted in the query and a GET body', () => {
    fc.assert(
      fc.property(signatureName, secret, (name, value) => {
        const lower = name.toLowerCase();
        expect(captureHeaders({ [name]: value })).toEqual({ [lower]: value });
        expect(storedHeaders(captureHeaders({ [name]: value }), NONE)).toEqual({ [lower]: REDACTED });
        expect(storedHeaders(captureHeaders({ [name]: value }), new Set([lower]))).toEqual({ [lower]: value });
        expect(captureQuery([[name, value]])).toEqual({ [name]: REDACTED });
        expect(getBody([[name, value]])).not.toContain(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('any other name is kept as sent, in headers and query alike', () => {
    fc.assert(
      fc.property(plainName, fc.string({ maxLength: 40 }), (name, value) => {
        const lower = name.toLowerCase();
        expect(stored({ [name]: value })).toEqual({ [lower]: value });
        expect(captureQuery([[name, value]])).toEqual({ [name]: value });
      }),
      { numRuns: 1000 },
    );
  });
});
