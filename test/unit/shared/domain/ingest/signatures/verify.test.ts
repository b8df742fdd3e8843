// The signature verifiers against requests signed by the providers' own libraries or recipes:
// bounded work, malformed signatures refused (never an exception), and what a signature covers.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_ITEMS, MAX_SIGNATURES_PER_HEADER, verificationProblem, type SignatureProvider, type VerificationSettings } from '../../../../../../shared/domain/ingest/signatures/settings.ts';
import { verifierFor, verifyReceived, type SignedRequest } from '../../../../../../shared/domain/ingest/signatures/verify.ts';
import { captureHeaders, MAX_CAPTURED_JSON_BYTES, TRUNCATED_KEY } from '../../../../../../shared/domain/ingest/request-capture.ts';
import { lowerCased, signedHeaders, STANDARD_WEBHOOKS_SECRET, STANDARD_WEBHOOKS_SECRET_2, type SignOptions } from '../../../../../support/provider-signers.ts';

const HMAC_SPEC = { header: 'X-Signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=' } as const;

interface Case {
  provider: SignatureProvider;
  settings: VerificationSettings;
  secret: string;
  otherSecret: string;
  /** Whether the provider signs a timestamp. */
  timed: boolean;
  /** The header(s) whose absence is missing_signature. */
  signatureHeader: string;
}

const CASES: Case[] = [
  { provider: 'github', settings: { provider: 'github' }, secret: "It's a Secret to Everybody", otherSecret: 'gh-next', timed: false, signatureHeader: 'x-hub-signature-256' },
  { provider: 'stripe', settings: { provider: 'stripe' }, secret: 'whsec_test_secret_1', otherSecret: 'whsec_test_secret_2', timed: true, signatureHeader: 'stripe-signature' },
  { provider: 'shopify', settings: { provider: 'shopify' }, secret: 'shpss_client_secret', otherSecret: 'shpss_next', timed: false, signatureHeader: 'x-shopify-hmac-sha256' },
  { provider: 'slack', settings: { provider: 'slack' }, secret: '8f742231b10e8888abcd99yyyzzz85a5', otherSecret: 'slack-next', timed: true, signatureHeader: 'x-slack-signature' },
  {
    provider: 'standard-webhooks',
    settings: { provider: 'standard-webhooks' },
    secret: STANDARD_WEBHOOKS_SECRET,
    otherSecret: STANDARD_WEBHOOKS_SECRET_2,
    timed: true,
    signatureHeader: 'webhook-signature',
  },
  { provider: 'hmac', settings: { provider: 'hmac', header: 'x-signature', algorithm: 'sha512', encoding: 'base64', prefix: 'sha512=' }, secret: 'generic', otherSecret: 'generic-2', timed: false, signatureHeader: 'x-signature' },
];

const NOW = 1_795_438_997;
const BODY = '{"id":"evt_1","event_id":"Ev1","text":"caf\u00e9 \u{1F600} \\u2028 \u2028","n":1.50}\n';

async function request(c: Case, body: string, options: Partial<SignOptions> = {}): Promise<SignedRequest> {
  const headers = await signedHeaders(c.provider, body, { secret: c.secret, timestampSeconds: NOW, hmac: HMAC_SPEC, ...options });
  return { headers: lowerCased(headers), body, nowSeconds: NOW };
}

describe.each(CASES)('$provider', (c) => {
  const verify = verifierFor(c.settings, [c.secret]);

  it('a request signed with the secret verifies', async () => {
    expect(verificationProblem(c.settings, [c.secret])).toBeUndefined();
    expect(verify(await request(c, BODY))).toEqual({ ok: true });
  });

  it('one byte of body changed is bad_signature', async () => {
    const signed = await request(c, BODY);
    expect(verify({ ...signed, body: BODY.replace('1.50', '1.51') })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a wrong secret is bad_signature', async () => {
    expect(verify(await request(c, BODY, { secret: c.otherSecret }))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('a missing signature header is missing_signature', async () => {
    const signed = await request(c, BODY);
    const { [c.signatureHeader]: _gone, ...rest } = signed.headers!;
    expect(verify({ ...signed, headers: rest })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify({ ...signed, headers: undefined })).toEqual({ ok: false, reason: 'missing_signature' });
  });

  it('with two secrets, a request signed with either verifies and one signed with a third does not (rotation)', async () => {
    const both = verifierFor(c.settings, [c.otherSecret, c.secret]);
    expect(both(await request(c, BODY))).toEqual({ ok: true });
    expect(both(await request(c, BODY, { secret: c.otherSecret }))).toEqual({ ok: true });
    const third = c.provider === 'standard-webhooks' ? 'whsec_' + Buffer.from('third').toString('base64') : 'third';
    expect(both(await request(c, BODY, { secret: third }))).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.runIf(c.timed)('a timestamp 301 s old or 301 s ahead is stale_timestamp; 300 s either way verifies', async () => {
    for (const offset of [-301, 301]) {
      expect(verify(await request(c, BODY, { timestampSeconds: NOW + offset }))).toEqual({ ok: false, reason: 'stale_timestamp' });
    }
    for (const offset of [-300, 300]) expect(verify(await request(c, BODY, { timestampSeconds: NOW + offset }))).toEqual({ ok: true });
  });

  it('its signature shortened to its first bytes (or characters) is bad_signature, never an exception', async () => {
    const signed = await request(c, BODY);
    const value = signed.headers![c.signatureHeader]!;
    // The encoded digest: the longest run of hex or base64 characters in the header.
    const digest = [...value.matchAll(/[A-Za-z0-9+/]{20,}={0,2}/g)].map((match) => match[0]).sort((a, b) => b.length - a.length)[0]!;
    for (const length of [2, 4, 8, 16, 32, digest.length - 4, digest.length - 2, digest.length - 1]) {
      const shortened = value.replace(digest, digest.slice(0, length));
      expect(verify({ ...signed, headers: { ...signed.headers, [c.signatureHeader]: shortened } })).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('any mutation of the body fails (property)', async () => {
    const signed = await request(c, BODY);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (other) => {
        fc.pre(other !== BODY);
        expect(verify({ ...signed, body: other }).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('the signature header survives capture with 300 padding headers before it', async () => {
    const signed = await signedHeaders(c.provider, BODY, { secret: c.secret, timestampSeconds: NOW, hmac: HMAC_SPEC });
    const padding = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`x-pad-${i}`, 'p'.repeat(100)]));
    const captured = captureHeaders({ ...padding, ...lowerCased(signed) });
    expect(captured[TRUNCATED_KEY]).toBeDefined();
    expect(Buffer.byteLength(JSON.stringify(captured))).toBeLessThanOrEqual(MAX_CAPTURED_JSON_BYTES);
    expect(verify({ headers: captured, body: BODY, nowSeconds: NOW })).toEqual({ ok: true });
  });
});

describe('bounded work', () => {
  const zeros = `v1=${'0'.repeat(64)}`;

  it(`Stripe: a header with 10,000 v1= entries is checked against its first ${MAX_SIGNATURES_PER_HEADER} only; a valid one among them verifies`, async () => {
    const c = CASES.find((item) => item.provider === 'stripe')!;
    const verify = verifierFor(c.settings, [c.secret, c.otherSecret]);
    const signed = await request(c, BODY);
    const [timestamp, genuine] = signed.headers!['stripe-signature']!.split(',') as [string, string];
    const withAt = (position: number, total: number) =>
      [timestamp, ...Array.from({ length: total }, (_, i) => (i === position ? genuine : zeros))].join(',');
    expect(verify({ ...signed, headers: { 'stripe-signature': withAt(-1, 10_000) } })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify({ ...signed, headers: { 'stripe-signature': withAt(0, 10_000) } })).toEqual({ ok: true });
    // The last signature compared verifies; the one after it is never looked at.
    expect(verify({ ...signed, headers: { 'stripe-signature': withAt(MAX_SIGNATURES_PER_HEADER - 1, 10_000) } })).toEqual({ ok: true });
    expect(verify({ ...signed, headers: { 'stripe-signature': withAt(MAX_SIGNATURES_PER_HEADER, 10_000) } })).toEqual({ ok: false, reason: 'bad_signature' });
    // Other schemes' entries count towards the items looked at: a v1 past them is not read.
    const afterOthers = (others: number) => [timestamp, ...Array.from({ length: others }, () => 'v0=00'), genuine].join(',');
    expect(verify({ ...signed, headers: { 'stripe-signature': afterOthers(MAX_HEADER_ITEMS - 2) } })).toEqual({ ok: true });
    expect(verify({ ...signed, headers: { 'stripe-signature': afterOthers(MAX_HEADER_ITEMS - 1) } })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it(`Standard Webhooks: of several v1 signatures the first ${MAX_SIGNATURES_PER_HEADER} are compared; a valid one among them verifies, one after them does not`, async () => {
    const c = CASES.find((item) => item.provider === 'standard-webhooks')!;
    const verify = verifierFor(c.settings, [c.secret]);
    const signed = await request(c, BODY);
    const genuine = signed.headers!['webhook-signature']!;
    const other = `v1,${Buffer.alloc(32, 7).toString('base64')}`;
    const withAt = (position: number, total: number, filler = other) => Array.from({ length: total }, (_, i) => (i === position ? genuine : filler)).join(' ');
    const check = (value: string) => verify({ ...signed, headers: { ...signed.headers, 'webhook-signature': value } });
    expect(check(`${other} ${genuine}`)).toEqual({ ok: true });
    expect(check(withAt(-1, 10_000))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(withAt(MAX_SIGNATURES_PER_HEADER - 1, 10_000))).toEqual({ ok: true });
    expect(check(withAt(MAX_SIGNATURES_PER_HEADER, 10_000))).toEqual({ ok: false, reason: 'bad_signature' });
    // Entries of other versions count towards the items looked at.
    expect(check(withAt(MAX_HEADER_ITEMS - 1, MAX_HEADER_ITEMS, 'v2,AAAA'))).toEqual({ ok: true });
    expect(check(withAt(MAX_HEADER_ITEMS, MAX_HEADER_ITEMS + 1, 'v2,AAAA'))).toEqual({ ok: false, reason: 'bad_signature' });
  });
});

describe('malformed signatures are bad_signature, never an exception', () => {
  it.each([
    ['github', { 'x-hub-signature-256': 'sha1=abc' }],
    ['github', { 'x-hub-signature-256': 'sha256=zz' }],
    ['stripe', { 'stripe-signature': 'v1=abc' }],
    ['stripe', { 'stripe-signature': 't=abc,v1=00' }],
    ['stripe', { 'stripe-signature': ',,,===' }],
    ['shopify', { 'x-shopify-hmac-sha256': '!!!' }],
    ['slack', { 'x-slack-signature': 'v1=00', 'x-slack-request-timestamp': String(NOW) }],
    ['slack', { 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': '-5' }],
    ['standard-webhooks', { 'webhook-id': 'a', 'webhook-timestamp': 'x', 'webhook-signature': 'v1,AAAA' }],
    ['standard-webhooks', { 'webhook-id': 'a', 'webhook-timestamp': String(NOW), 'webhook-signature': 'v2,AAAA' }],
  ] as const)('%s %j', (provider, headers) => {
    const c = CASES.find((item) => item.provider === provider)!;
    expect(verifierFor(c.settings, [c.secret])({ headers, body: BODY, nowSeconds: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('the generic provider with hex and sha1/sha256 and no prefix verifies a correct signature in either case and refuses a wrong one in either case', async () => {
    for (const algorithm of ['sha1', 'sha256'] as const) {
      const spec = { header: 'X-Hook-Hmac', algorithm, encoding: 'hex' } as const;
      const verify = verifierFor({ provider: 'hmac', ...spec, header: 'x-hook-hmac' }, ['k']);
      const correct = lowerCased(await signedHeaders('hmac', BODY, { secret: 'k', hmac: spec }))['x-hook-hmac']!;
      expect(correct).toMatch(/^[0-9a-f]+$/);
      // One hex digit changed, a letter so that case matters: a wrong signature of the right length.
      const last = correct.at(-1)!;
      const wrong = `${correct.slice(0, -1)}${last === 'a' ? 'b' : 'a'}`;
      const check = (value: string) => verify({ headers: { 'x-hook-hmac': value }, body: BODY, nowSeconds: NOW });
      for (const variant of [correct, correct.toUpperCase(), `${correct.slice(0, 10).toUpperCase()}${correct.slice(10)}`]) {
        expect(check(variant)).toEqual({ ok: true });
      }
      for (const variant of [wrong, wrong.toUpperCase(), `${wrong.slice(0, 10).toUpperCase()}${wrong.slice(10)}`]) {
        expect(check(variant)).toEqual({ ok: false, reason: 'bad_signature' });
      }
      expect(check(correct.toUpperCase().replace(/.$/, 'G'))).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });
});

describe('what a signature covers (verifyReceived)', () => {
  const github = verifierFor({ provider: 'github' }, ['gh']);
  const overEmpty = { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'gh').update('').digest('hex')}` };

  it('a GET (data in the query string) is unsigned_request, even with a valid signature of the empty body', () => {
    expect(github({ headers: overEmpty, body: '', nowSeconds: NOW })).toEqual({ ok: true });
    const get = { format: 'query', headers: overEmpty, body: '{"order_id":"999","status":"refunded"}', nowSeconds: NOW } as const;
    expect(verifyReceived(github, get)).toEqual({ ok: false, reason: 'unsigned_request' });
    expect(verifyReceived(github, { ...get, headers: {} })).toEqual({ ok: false, reason: 'unsigned_request' });
  });

  it('JSON is checked over the stored body, a form over its raw text; a form without its raw text is bad_signature', async () => {
    const json = '{"a":1}';
    const jsonHeaders = lowerCased(await signedHeaders('github', json, { secret: 'gh' }));
    expect(verifyReceived(github, { format: 'json', headers: jsonHeaders, body: json, nowSeconds: NOW })).toEqual({ ok: true });
    const raw = 'a=1&b=caf%C3%A9';
    const formHeaders = lowerCased(await signedHeaders('github', raw, { secret: 'gh' }));
    expect(verifyReceived(github, { format: 'form', headers: formHeaders, body: '{"a":"1","b":"café"}', raw, nowSeconds: NOW })).toEqual({ ok: true });
    expect(verifyReceived(github, { format: 'form', headers: formHeaders, body: raw, nowSeconds: NOW })).toEqual({ ok: false, reason: 'bad_signature' });
  });
});
