import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { buildGetUrl, flattenForQuery } from '../../../../../shared/domain/delivery/payload-encoding.ts';
import {
  SigningSecretError,
  decodeSigningSecret,
  newSigningSecret,
  signPayload,
  signatureHeaders,
  signatureHeadersForGet,
  signedContentForGet,
} from '../../../../../shared/domain/delivery/signature.ts';

// The verifier checks the timestamp against the real clock (5-minute tolerance), so tests sign
// with the current time; the domain code itself never reads the clock.
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** What a receiver does with a GET: take the raw query string off the request target. */
function rawQueryOf(url: string): string {
  const { pathname, search } = new URL(url);
  const requestTarget = `${pathname}${search}`;
  const q = requestTarget.indexOf('?');
  return q === -1 ? '' : requestTarget.slice(q + 1);
}

describe('newSigningSecret', () => {
  it('is whsec_ + base64 of 24 random bytes', () => {
    const a = newSigningSecret();
    const b = newSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(decodeSigningSecret(a)).toHaveLength(24);
    expect(a).not.toBe(b);
  });
});

describe('decodeSigningSecret', () => {
  it.each([
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ['not base64', 'whsec_!!!!MfKQ9r8GKYqrTwjUPD8ILPZIo2La'],
    ['bad padding', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS'],
    ['too short', `whsec_${Buffer.alloc(16, 1).toString('base64')}`],
    ['too long', `whsec_${Buffer.alloc(65, 1).toString('base64')}`],
    ['empty', 'whsec_'],
  ])('refuses a secret with %s', (_, secret) => {
    expect(() => decodeSigningSecret(secret)).toThrow(SigningSecretError);
  });
});

describe('signPayload', () => {
  it('matches the Standard Webhooks reference vector', () => {
    expect(
      signPayload({
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        payload: '{"test": 2432232314}',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('property: standardwebhooks verifies every signed POST body', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/), (value, msgId) => {
        const secret = newSigningSecret();
        const payload = JSON.stringify(value);
        const headers = signatureHeaders({ secret, msgId, timestamp: nowSeconds(), payload });
        expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
      }),
      { numRuns: 50 },
    );
  });

  it('signs bytes and the same text identically', () => {
    const input = { secret: newSigningSecret(), msgId: 'msg_1', timestamp: 1_700_000_000 };
    const text = '{"ü":"日本"}';
    expect(signPayload({ ...input, payload: new TextEncoder().encode(text) })).toBe(signPayload({ ...input, payload: text }));
  });

  it('fails verification when anything signed is tampered with', () => {
    const secret = newSigningSecret();
    const payload = '{"type":"batch_landed","id":"evt_1","data":{"rows":42}}';
    const headers = signatureHeaders({ secret, msgId: 'msg_abc', timestamp: nowSeconds(), payload });
    const wh = new Webhook(secret);
    expect(() => wh.verify(payload, { ...headers })).not.toThrow();
    expect(() => wh.verify(payload.replace('42', '43'), { ...headers })).toThrow(WebhookVerificationError);
    expect(() => wh.verify(payload, { ...headers, 'webhook-id': 'msg_abd' })).toThrow(WebhookVerificationError);
    expect(() => wh.verify(payload, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(newSigningSecret()).verify(payload, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('emits one signature per secret during rotation, each verifiable', () => {
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const payload = '{"a":1}';
    const headers = signatureHeaders({ secret: [oldSecret, newSecret], msgId: 'msg_r', timestamp: nowSeconds(), payload });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(payload, { ...headers })).toEqual({ a: 1 });
    expect(new Webhook(newSecret).verify(payload, { ...headers })).toEqual({ a: 1 });
  });

  it('refuses unusable ids and timestamps', () => {
    const secret = newSigningSecret();
    for (const msgId of ['', 'has space', 'a'.repeat(256), 'naïve']) {
      expect(() => signPayload({ secret, msgId, timestamp: 1, payload: '' })).toThrow(RangeError);
    }
    for (const timestamp of [1.5, -1, Number.NaN]) {
      expect(() => signPayload({ secret, msgId: 'msg_1', timestamp, payload: '' })).toThrow(RangeError);
    }
    expect(() => signPayload({ secret: [], msgId: 'msg_1', timestamp: 1, payload: '' })).toThrow(SigningSecretError);
  });

  it('gives the headers the documented names and values', () => {
    const secret = newSigningSecret();
    const headers = signatureHeaders({ secret, msgId: 'msg_x', timestamp: 1_700_000_000, payload: 'p' });
    expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(headers['webhook-id']).toBe('msg_x');
    expect(headers['webhook-timestamp']).toBe('1700000000');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe('GET signing', () => {
  it('signs the query string exactly as sent, verifiable by standardwebhooks', () => {
    const secret = newSigningSecret();
    const url = buildGetUrl(
      'https://receiver.example/hook?token=abc#ignored',
      flattenForQuery({ type: 'webhook_received', data: { body: { note: 'a b&c' }, who: 'José' } }),
    );
    const headers = signatureHeadersForGet({ secret, msgId: 'msg_get', timestamp: nowSeconds(), url });
    const raw = rawQueryOf(url);
    expect(raw).toBe('token=abc&type=webhook_received&data_body_note=a%20b%26c&data_who=Jos%C3%A9');
    expect(signedContentForGet(url)).toBe(raw);
    expect(() => new Webhook(secret).verify(raw, { ...headers }, { jsonParse: false })).not.toThrow();
    // A changed parameter, a dropped one or a re-encoding the receiver did not get all fail.
    for (const tampered of [raw.replace('Jos', 'Joe'), raw.replace('token=abc&', ''), raw.replace('%20', '+')]) {
      expect(() => new Webhook(secret).verify(tampered, { ...headers }, { jsonParse: false })).toThrow(WebhookVerificationError);
    }
  });

  it('signs the empty string when the URL has no query', () => {
    const secret = newSigningSecret();
    const url = buildGetUrl('https://receiver.example/hook', []);
    expect(signedContentForGet(url)).toBe('');
    const headers = signatureHeadersForGet({ secret, msgId: 'msg_empty', timestamp: nowSeconds(), url });
    expect(() => new Webhook(secret).verify('', { ...headers }, { jsonParse: false })).not.toThrow();
    expect(() => new Webhook(secret).verify('x=1', { ...headers }, { jsonParse: false })).toThrow(WebhookVerificationError);
  });
});
