import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_SUFFIXES,
  CREDENTIAL_WORDS,
  credentialRule,
  isCredentialName,
  REDACTED,
  SIGNATURE_HEADERS,
} from '../../shared/domain/credential-names.ts';
import { interpretInbound } from '../../shared/domain/kondado.ts';
import {
  captureHeaders,
  captureQuery,
  MAX_CAPTURED_ENTRIES,
  MAX_CAPTURED_JSON_BYTES,
  storedHeaders,
  TRUNCATED_KEY,
} from '../../shared/domain/request-capture.ts';

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
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

describe('header capture', () => {
  it("keeps ordinary headers as sent, the sender's event type included", () => {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/abc',
      'x-github-event': 'push',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-forwarded-for': '203.0.113.7',
      accept: '*/*,text/html',
    };
    expect(captureHeaders(headers)).toEqual(headers);
  });

  it("lower-cases names and joins names that differ only in case with a comma, as API Gateway joins repeats", () => {
    expect(captureHeaders({ 'X-Tag': 'a', 'x-tag': 'b', Authorization: 'Bearer x', authorization: 'Bearer y' })).toEqual({
      'x-tag': 'a,b',
      authorization: REDACTED,
    });
  });

  it("records API Gateway's cookies (taken out of the headers) as a redacted cookie header", () => {
    expect(captureHeaders({ host: 'h' }, ['session=abc', 'theme=dark'])).toEqual({ host: 'h', cookie: REDACTED });
    expect(captureHeaders({ host: 'h' }, [])).toEqual({ host: 'h' });
  });

  it('drops names that are not HTTP tokens, so nothing can pose as the truncation marker', () => {
    expect(captureHeaders({ [TRUNCATED_KEY]: '5', 'bad name': 'x', 'x-ok': '1', 'x-undefined': undefined })).toEqual({ 'x-ok': '1' });
  });

  it('leaves out a header or parameter named __proto__ and keeps names of inherited properties as ordinary names', () => {
    const headers = JSON.parse('{"__proto__":"p","a":"b","constructor":"c"}') as Record<string, string>;
    expect(JSON.stringify(captureHeaders(headers))).toBe('{"a":"b","constructor":"c"}');
    expect(JSON.stringify(captureHeaders({ ...headers, Authorization: 'x' }))).toBe('{"a":"b","constructor":"c","authorization":"[redacted]"}');
    expect(JSON.stringify(captureQuery([['__proto__', 'p'], ['constructor', '1'], ['constructor', '2'], ['tostring', 't']]))).toBe(
      '{"constructor":["1","2"],"tostring":"t"}',
    );
  });
});

describe('header bounds', () => {
  it(`keeps at most ${MAX_CAPTURED_ENTRIES} headers and says how many were dropped`, () => {
    const headers = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-h${i}`, 'v']));
    const kept = captureHeaders(headers);
    expect(Object.keys(kept)).toHaveLength(MAX_CAPTURED_ENTRIES + 1);
    expect(kept['x-h99']).toBe('v');
    expect(kept['x-h100']).toBeUndefined();
    expect(kept[TRUNCATED_KEY]).toBe('50');
  });

  it(`keeps at most ${MAX_CAPTURED_JSON_BYTES} bytes of JSON: a huge header is dropped, the ones after it that fit are kept`, () => {
    const kept = captureHeaders({ a: '1', huge: 'x'.repeat(20_000), b: '2' });
    expect(kept).toEqual({ a: '1', b: '2', [TRUNCATED_KEY]: '1' });
  });

  it('measures escapes: control characters count 6 bytes each in the bound', () => {
    const kept = captureHeaders(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x-c${i}`, '\u0001'.repeat(400)])));
    expect(jsonBytes(kept)).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
    expect(kept[TRUNCATED_KEY]).toBe('4');
  });

  it('keeps signature headers first when not everything fits', () => {
    const filler = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`x-filler-${i}`, 'y'.repeat(100)]));
    const kept = captureHeaders({ ...filler, 'x-hub-signature-256': 'sha256=abc', 'webhook-signature': 'v1,xyz' });
    expect(kept['x-hub-signature-256']).toBe('sha256=abc');
    expect(kept['webhook-signature']).toBe('v1,xyz');
    expect(jsonBytes(kept)).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
  });
});

describe('query capture', () => {
  it('keeps names and values in order, a repeated name as a list', () => {
    expect(captureQuery([['type', 'add'], ['tag', 'a'], ['tag', 'b'], ['tag', 'c'], ['x[y]', '1']])).toEqual({
      type: 'add',
      tag: ['a', 'b', 'c'],
      'x[y]': '1',
    });
  });

  it('is bounded like the headers', () => {
    const kept = captureQuery(Array.from({ length: 1000 }, (_, i) => [`p${i}`, 'v'.repeat(50)] as const));
    expect(jsonBytes(kept)).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
    expect(Object.keys(kept).length).toBeLessThanOrEqual(MAX_CAPTURED_ENTRIES + 1);
    expect(Number(kept[TRUNCATED_KEY])).toBe(1000 - (Object.keys(kept).length - 1));
  });
});

// Names built the way senders build them: words joined by `-`, `_` or `.`, in any case, digits
// after a word. A credential word anywhere, or a last word ending in a credential suffix, makes a
// credential; words from PLAIN (near misses included) never do.
const PLAIN = ['x', 'github', 'event', 'delivery', 'id', 'content', 'type', 'user', 'agent', 'forwarded', 'for', 'order', 'status', 'api', 'version', 'author', 'keyword', 'keys', 'tokens', 'secretary', 'passport', 'signal', 'design', 'hook', 'shop', 'sha', 'access', 'client'];
const SIGNATURE_PARTS = ['signature', 'hmac', 'sig', 'sign', 'xsignature', 'hmacsha'];
const separator = fc.constantFrom('-', '_', '.');
const digits = fc.constantFrom('', '', '2', '256');
const plainWord = fc.tuple(fc.constantFrom(...PLAIN), digits).map(([word, after]) => word + after);

function joined(words: fc.Arbitrary<string[]>): fc.Arbitrary<string> {
  return words.chain((list) => fc.array(separator, { minLength: list.length, maxLength: list.length }).map((seps) => list.map((word, i) => (i === 0 ? word : seps[i] + word)).join('')));
}
function anyCase(name: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return name.chain((text) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')));
}
/** `words` with `word` put in at any position. */
const withWord = (word: fc.Arbitrary<string>, last = false) =>
  fc.tuple(fc.array(plainWord, { maxLength: 3 }), word, fc.array(plainWord, { maxLength: last ? 0 : 2 })).map(([before, inner, after]) => [...before, inner, ...after]);

const credentialName = anyCase(
  joined(
    fc.oneof(
      withWord(fc.tuple(fc.constantFrom(...CREDENTIAL_WORDS), digits).map(([word, after]) => word + after)),
      withWord(fc.tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.constantFrom(...CREDENTIAL_SUFFIXES), digits).map(([before, suffix, after]) => before + suffix + after), true),
    ),
  ),
).filter((name) => !SIGNATURE_HEADERS.has(name.toLowerCase()));
const signatureName = anyCase(joined(fc.tuple(withWord(fc.constantFrom(...SIGNATURE_PARTS)), plainWord).map(([words, last]) => [...words, last])));
const plainName = anyCase(joined(fc.array(plainWord, { minLength: 1, maxLength: 4 })));
const secret = fc.uuid().map((uuid) => `SECRET-${uuid}`);
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

describe('header capture properties', () => {
  const anyName = fc
    .oneof(credentialName, signatureName, fc.constantFrom(...SIGNATURE_HEADERS), fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/), fc.string({ maxLength: 12 }))
    .chain((name) => fc.boolean().map((upper) => (upper ? name.toUpperCase() : name)));
  const value = fc
    .oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 400 }), fc.constant('x'.repeat(3000)))
    .filter((text) => !text.includes('SECRET-'));
  const headerMap = fc.dictionary(anyName, value, { maxKeys: 160 });
  /** Headers whose name a credential rule names, each with a value that appears nowhere else. */
  const secrets = fc.dictionary(credentialName, secret, { maxKeys: 20 });

  it('no header a credential rule names keeps its value; the result stays within its bounds', () => {
    fc.assert(
      fc.property(headerMap, secrets, fc.boolean(), (headers, credentials, credentialsFirst) => {
        const kept = captureHeaders(credentialsFirst ? { ...credentials, ...headers } : { ...headers, ...credentials });
        const entries = Object.entries(kept).filter(([name]) => name !== TRUNCATED_KEY);
        expect(entries.length).toBeLessThanOrEqual(MAX_CAPTURED_ENTRIES);
        expect(jsonBytes(kept)).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
        for (const [name, keptValue] of entries) {
          expect(name).toBe(name.toLowerCase());
          if (isCredentialName(name)) expect(keptValue).toBe(REDACTED);
        }
        expect(JSON.stringify(kept)).not.toContain('SECRET-');
      }),
      { numRuns: 1000 },
    );
  });

  it('every header left out is counted in the truncation marker, and only then is there one', () => {
    fc.assert(
      fc.property(headerMap, (headers) => {
        const kept = captureHeaders(headers);
        const distinct = new Set(Object.keys(headers).map((name) => name.toLowerCase()).filter((name) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) && name !== '__proto__'));
        const keptCount = Object.keys(kept).filter((name) => name !== TRUNCATED_KEY).length;
        expect(Number(kept[TRUNCATED_KEY] ?? 0)).toBe(distinct.size - keptCount);
      }),
      { numRuns: 500 },
    );
  });
});
