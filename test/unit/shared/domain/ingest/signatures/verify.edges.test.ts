// shared/domain/ingest/signatures/verify.ts at its edges: how each provider's header is read (order,
// spaces, repeats, malformed timestamps and encodings) and which reason a refusal gets. The headers
// are built here with node:crypto by each provider's documented recipe, so a timestamp or an
// encoding can be malformed on purpose; test/unit/shared/domain/ingest/signatures/verify.test.ts signs with the providers'
// own libraries.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifierFor, type VerificationResult } from '../../../../../../shared/domain/ingest/signatures/verify.ts';

const NOW = 1_795_438_997;
const T = String(NOW);
const BODY = '{"id":"evt_1","note":"café 😀"}';
const SECRET = 'a-secret';
/** Standard Webhooks: `whsec_` and base64 of the key. */
const SW_KEY = Buffer.from('0123456789abcdef01234567');
const SW_SECRET = `whsec_${SW_KEY.toString('base64')}`;

const mac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const hex = (key: string | Buffer, text: string) => mac(key, text).toString('hex');
const base64 = (key: string | Buffer, text: string) => mac(key, text).toString('base64');

const OK: VerificationResult = { ok: true };
const BAD: VerificationResult = { ok: false, reason: 'bad_signature' };
const MISSING: VerificationResult = { ok: false, reason: 'missing_signature' };
const STALE: VerificationResult = { ok: false, reason: 'stale_timestamp' };

const check = (provider: 'github' | 'shopify' | 'stripe' | 'slack' | 'standard-webhooks', headers: Record<string, string>, secrets = [SECRET]) =>
  verifierFor({ provider }, secrets)({ headers, body: BODY, nowSeconds: NOW });

/** Timestamps that are not decimal epoch seconds, each signed as if it were one. */
const MALFORMED_TIMESTAMPS = [`+${T}`, `${T}x`, `x${T}`, `${T}.0`, `0${T}00`, '1e9'];

describe('every provider: a header of spaces only is a missing signature, spaces around a value are ignored', () => {
  it('github', () => {
    const value = `sha256=${hex(SECRET, BODY)}`;
    expect(check('github', { 'x-hub-signature-256': '   ' })).toEqual(MISSING);
    expect(check('github', { 'x-hub-signature-256': '' })).toEqual(MISSING);
    expect(check('github', { 'x-hub-signature-256': ` ${value}\t` })).toEqual(OK);
  });

  it('slack: the timestamp header too', () => {
    const signature = `v0=${hex(SECRET, `v0:${T}:${BODY}`)}`;
    expect(check('slack', { 'x-slack-signature': signature, 'x-slack-request-timestamp': ' ' })).toEqual(MISSING);
    expect(check('slack', { 'x-slack-signature': ` ${signature} `, 'x-slack-request-timestamp': ` ${T} ` })).toEqual(OK);
  });
});

describe('github and the prefixed providers', () => {
  it('compare the prefix exactly: the right digest behind another prefix of the same length is refused', () => {
    const digest = hex(SECRET, BODY);
    expect(check('github', { 'x-hub-signature-256': `sha256=${digest}` })).toEqual(OK);
    expect(check('github', { 'x-hub-signature-256': `SHA256=${digest}` })).toEqual(BAD);
    expect(check('github', { 'x-hub-signature-256': `sha512=${digest}` })).toEqual(BAD);
  });

  it('a hex signature of the right length with characters that are not hex is refused, not decoded in part', () => {
    const digest = hex(SECRET, BODY);
    for (const value of [`zz${digest.slice(2)}`, `${digest.slice(0, 62)}zz`, `${digest.slice(0, 30)}--${digest.slice(32)}`]) {
      expect(check('github', { 'x-hub-signature-256': `sha256=${value}` }), value).toEqual(BAD);
    }
  });

  it('shopify: base64 of the right length with anything around or instead of its padding is refused', () => {
    const signature = base64(SECRET, BODY); // 32 bytes: 43 characters and one '='
    expect(signature).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(check('shopify', { 'x-shopify-hmac-sha256': signature })).toEqual(OK);
    for (const value of [`${signature.slice(0, 43)}!`, `!${signature.slice(0, 43)}`, `${signature.slice(0, 43)}.`, `${signature.slice(0, 43)}A`]) {
      expect(check('shopify', { 'x-shopify-hmac-sha256': value }), value).toEqual(BAD);
    }
  });

  it('shopify: 44 base64 characters that decode to 33 bytes are refused, not compared', () => {
    expect(check('shopify', { 'x-shopify-hmac-sha256': 'A'.repeat(44) })).toEqual(BAD);
    expect(check('shopify', { 'x-shopify-hmac-sha256': `${base64(SECRET, BODY).slice(0, 43)}B` })).toEqual(BAD);
  });
});

describe('stripe', () => {
  const v1 = (t = T) => hex(SECRET, `${t}.${BODY}`);

  it('reads t and v1 in any order, with spaces around the items and their values', () => {
    expect(check('stripe', { 'stripe-signature': `t=${T},v1=${v1()}` })).toEqual(OK);
    expect(check('stripe', { 'stripe-signature': `v1=${v1()},t=${T}` })).toEqual(OK);
    expect(check('stripe', { 'stripe-signature': `v0=abc, t=${T}, v1=${v1()}` })).toEqual(OK);
    expect(check('stripe', { 'stripe-signature': `t = ${T} , v1 = ${v1()}` })).toEqual(OK);
  });

  it('takes the first t: a second one does not replace it', () => {
    expect(check('stripe', { 'stripe-signature': `t=${T},v1=${v1()},t=${NOW - 5}` })).toEqual(OK);
    expect(check('stripe', { 'stripe-signature': `t=${NOW - 5},t=${T},v1=${v1()}` })).toEqual(BAD);
  });

  it('without t or without v1 the signature is bad', () => {
    expect(check('stripe', { 'stripe-signature': `v1=${v1()}` })).toEqual(BAD);
    expect(check('stripe', { 'stripe-signature': `t=${T}` })).toEqual(BAD);
    expect(check('stripe', { 'stripe-signature': `t=${T},v0=${v1()}` })).toEqual(BAD);
  });

  it.each(MALFORMED_TIMESTAMPS)('a timestamp that is not decimal seconds (%s) is a bad signature even when signed, never a stale one', (t) => {
    expect(check('stripe', { 'stripe-signature': `t=${t},v1=${v1(t)}` })).toEqual(BAD);
  });

  it('a genuine signature on an old timestamp is stale', () => {
    const old = String(NOW - 301);
    expect(check('stripe', { 'stripe-signature': `t=${old},v1=${v1(old)}` })).toEqual(STALE);
  });
});

describe('slack', () => {
  const signature = (t = T, version = 'v0') => `${version}=${hex(SECRET, `v0:${t}:${BODY}`)}`;

  it('a signature without its timestamp header, or a timestamp without its signature, is missing', () => {
    expect(check('slack', { 'x-slack-signature': signature() })).toEqual(MISSING);
    expect(check('slack', { 'x-slack-request-timestamp': T })).toEqual(MISSING);
  });

  it('the digest must follow v0=: the right digest behind another version is refused', () => {
    expect(check('slack', { 'x-slack-signature': signature(), 'x-slack-request-timestamp': T })).toEqual(OK);
    expect(check('slack', { 'x-slack-signature': signature(T, 'v1'), 'x-slack-request-timestamp': T })).toEqual(BAD);
    expect(check('slack', { 'x-slack-signature': signature().slice(3), 'x-slack-request-timestamp': T })).toEqual(BAD);
  });

  it.each(MALFORMED_TIMESTAMPS)('a timestamp that is not decimal seconds (%s) is a bad signature even when signed', (t) => {
    expect(check('slack', { 'x-slack-signature': signature(t), 'x-slack-request-timestamp': t })).toEqual(BAD);
  });
});

describe('standard webhooks', () => {
  const headers = (t = T, id = 'msg_1') => ({
    'webhook-id': id,
    'webhook-timestamp': t,
    'webhook-signature': `v1,${base64(SW_KEY, `${id}.${t}.${BODY}`)}`,
  });

  it('each of id, timestamp and signature is needed: without one the signature is missing', () => {
    expect(check('standard-webhooks', headers(), [SW_SECRET])).toEqual(OK);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _left, ...rest } = headers();
      expect(check('standard-webhooks', rest, [SW_SECRET]), name).toEqual(MISSING);
    }
  });

  it.each(MALFORMED_TIMESTAMPS)('a timestamp that is not decimal seconds (%s) is a bad signature even when signed', (t) => {
    expect(check('standard-webhooks', headers(t), [SW_SECRET])).toEqual(BAD);
  });

  it('a secret that is not base64 is skipped: the other one still verifies, and with none every request is bad', () => {
    expect(check('standard-webhooks', headers(), ['not base64!', SW_SECRET])).toEqual(OK);
    expect(check('standard-webhooks', headers(), ['not base64!'])).toEqual(BAD);
  });
});
