// The header policy on the delivery side: whatever a stored subscription's headers say (an item
// from before the policy, or written by hand), the request carries Hooklake's own headers exactly
// once with Hooklake's values; and the API and the delivery apply the same rule to every name.
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { buildDeliveryRequest, USER_AGENT, type DeliveryTarget } from '../../../shared/domain/delivery/request.ts';
import { buildEnvelope } from '../../../shared/domain/delivery/events.ts';
import { headerNameProblem, headersProblem, reservedHeaderReason, sendableHeaders } from '../../../shared/domain/delivery/header-policy.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const envelope = buildEnvelope({ type: 'order.paid', id: 'evt_1', timestamp: Date.now(), dataJson: '{"id":1}' });

/** Every header a hostile stored item could try, in mixed case, beside two ordinary ones. */
const HOSTILE_HEADERS: Record<string, string> = {
  'User-Agent': 'evil/1',
  'WEBHOOK-ID': 'msg_forged',
  'Webhook-Timestamp': '1',
  'webhook-signature': 'v1,forged',
  'Webhook-Future': 'x',
  'Content-Type': 'text/plain',
  'CONTENT-LENGTH': '1',
  'Content-Encoding': 'gzip',
  Host: 'evil.example',
  'Transfer-Encoding': 'chunked',
  Connection: 'close',
  'Proxy-Authorization': 'Basic eA==',
  Authorization: 'Bearer target-credential',
  'X-Team': 'data',
};

function build(method: 'POST' | 'GET', format: 'json' | 'form' = 'json') {
  const target: DeliveryTarget = { webhookUrl: 'https://hooks.example.com/in?x=1', webhookHttpMethod: method, format, headers: HOSTILE_HEADERS };
  return buildDeliveryRequest({ target, envelope, webhookId: 'msg_real', secret: SECRET, timestamp: Math.floor(Date.now() / 1000) });
}

describe('subscription headers in a delivery request', () => {
  it.each([
    ['POST', 'json', 'application/json'],
    ['POST', 'form', 'application/x-www-form-urlencoded'],
    ['GET', 'json', undefined],
  ] as const)('%s %s: cannot override or duplicate our headers; ordinary ones are sent', (method, format, contentType) => {
    const request = build(method, format);
    // A value the API would refuse (a line break) is dropped too, not sent.
    expect(sendableHeaders({ 'X-Split': 'a\r\nInjected: yes' })).toEqual({});
    const names = Object.keys(request.headers);
    // No name twice in any case.
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
    expect(names.every((name) => name === name.toLowerCase())).toBe(true);
    expect(request.headers).toMatchObject({
      'user-agent': USER_AGENT,
      'webhook-id': 'msg_real',
      authorization: 'Bearer target-credential',
      'x-team': 'data',
    });
    expect(request.headers['content-type']).toBe(contentType);
    const ours = ['user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature', ...(contentType === undefined ? [] : ['content-type'])];
    expect(names.sort()).toEqual([...ours, 'authorization', 'x-team'].sort());
    // The signature is ours, over what is sent.
    const signed = method === 'GET' ? new URL(request.url).search.slice(1) : request.body!;
    expect(() => new Webhook(SECRET).verify(signed, request.headers, method === 'GET' || format === 'form' ? { jsonParse: false } : undefined)).not.toThrow();
  });
});

describe('one header policy for the API and the delivery', () => {
  it('a header name is refused by the API exactly when the delivery would drop it', () => {
    const token = fc.oneof(fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,40}$/), fc.string({ maxLength: 70 }), fc.constant('__proto__'));
    const known = fc.constantFrom(...Object.keys(HOSTILE_HEADERS), 'Te', 'Trailer', 'Upgrade', 'Expect', 'Keep-Alive', 'HTTP2-Settings', 'Proxy-Connection', 'Cookie');
    fc.assert(
      fc.property(fc.oneof(token, known, token.map((name) => `webhook-${name}`), token.map((name) => `proxy-${name}`)), (name) => {
        const headers = Object.fromEntries([[name, 'v']]) as Record<string, string>;
        const refused = headersProblem(headers) !== undefined;
        const dropped = !Object.hasOwn(sendableHeaders(headers), name.toLowerCase());
        expect(refused).toBe(dropped);
        expect(headerNameProblem(name) !== undefined).toBe(dropped);
        if (refused) expect(headersProblem(headers)).toBe(headerNameProblem(name));
      }),
      { numRuns: 2000 },
    );
    for (const name of ['User-Agent', 'webhook-anything', 'Proxy-X', 'Host']) expect(headerNameProblem(name)).toMatch(/set by Hooklake/);
    expect(reservedHeaderReason('Authorization')).toBeUndefined();
  });
});
