import fc from 'fast-check';
import { credentialName, secret, signatureName } from '../../../../support/header-names.ts';
import { describe, expect, it } from 'vitest';
import { isCredentialName, REDACTED, SIGNATURE_HEADERS } from '../../../../../shared/domain/ingest/credential-names.ts';
import { captureHeaders, captureQuery, MAX_CAPTURED_ENTRIES, MAX_CAPTURED_JSON_BYTES, TRUNCATED_KEY } from '../../../../../shared/domain/ingest/request-capture.ts';

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

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
