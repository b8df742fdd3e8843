// One delivery's HTTP request: the envelope in each method and format (JSON POST verbatim, GET
// flattened, form bracket-keyed; webhook_received's body reaching its fields in each), a sync
// row-op's data delivered alone (valmi's payload at the top level), and the header policy:
// whatever a stored destination's headers say, Hooklake's own headers once, with its values.
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { BODY, INPUT } from '../../../../support/webhook-received.ts';
import { buildDeliveryRequest, USER_AGENT, type DeliveryTarget } from '../../../../../shared/domain/delivery/request.ts';
import { buildEnvelope, customEventTypeProblem, subscriptionEventProblem, SYNC_ROW_EVENT_TYPE } from '../../../../../shared/domain/delivery/events.ts';
import { headerNameProblem, headersProblem, reservedHeaderReason, sendableHeaders } from '../../../../../shared/domain/delivery/header-policy.ts';
import { webhookReceivedEvent } from '../../../../../shared/domain/delivery/built-in-events.ts';
import { newSigningSecret } from '../../../../../shared/domain/delivery/signature.ts';

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

describe('deliveries of webhook_received', () => {
  const envelope = buildEnvelope({
    type: 'webhook_received',
    id: 'evt_recv_qwertyuiopasdfghjklz',
    timestamp: 1577015690312,
    dataJson: webhookReceivedEvent({ ...INPUT, body: BODY }).dataJson,
  });
  const secret = newSigningSecret();
  const now = Math.floor(Date.now() / 1000);
  const deliver = (target: Partial<DeliveryTarget>) =>
    buildDeliveryRequest({
      target: { webhookUrl: 'https://receiver.example/hook', webhookHttpMethod: 'POST', format: 'json', headers: {}, ...target },
      envelope,
      webhookId: 'msg_1',
      secret,
      timestamp: now,
    });

  it('JSON POST: the body text sits verbatim in the envelope and the signature verifies', () => {
    const request = deliver({});
    expect(request.body).toContain(`"body":${BODY},`);
    const payload = new Webhook(secret).verify(request.body!, request.headers) as { data: { body: unknown } };
    expect(payload.data.body).toEqual(JSON.parse(BODY));
  });

  it('GET: the body flattened valmi-style, numbers with their source digits, signature verifies', () => {
    const request = deliver({ webhookHttpMethod: 'GET' });
    const rawQuery = request.url.slice(request.url.indexOf('?') + 1);
    const query = new URLSearchParams(rawQuery);
    expect(query.get('data_body_order_id')).toBe('987');
    expect(query.get('data_body_order_total')).toBe('12345678901234567890123');
    expect(query.get('data_body_order_10')).toBe('x');
    expect(query.get('data_body_note')).toBe('😀 é \u2028');
    expect(query.has('data_body')).toBe(false);
    expect(() => new Webhook(secret).verify(rawQuery, request.headers, { jsonParse: false })).not.toThrow();
  });

  it('form POST: bracket keys into the body, numbers with their source digits, signature verifies', () => {
    const request = deliver({ format: 'form' });
    const form = new URLSearchParams(request.body);
    expect(form.get('data[body][order][id]')).toBe('987');
    expect(form.get('data[body][order][total]')).toBe('12345678901234567890123');
    expect(form.get('data[body][note]')).toBe('😀 é \u2028');
    expect(() => new Webhook(secret).verify(request.body!, request.headers, { jsonParse: false })).not.toThrow();
  });
});

const secret = newSigningSecret();
const dataJson = '{"_valmi_meta":{"_valmi_row_num":1,"_valmi_sync_op":"upsert"},"id":12345678901234567890,"name":"Ñ","_message_id":0,"_sync_mode":"upsert"}';
const rowEnvelope = buildEnvelope({ type: SYNC_ROW_EVENT_TYPE, id: 'evt_sync_x_upsert_1', timestamp: 0, dataJson });
const request = (webhookHttpMethod: 'POST' | 'GET', format: 'json' | 'form', envelope = rowEnvelope) =>
  buildDeliveryRequest({
    target: { webhookUrl: 'https://crm.example/hook?k=1', webhookHttpMethod, format, headers: {} },
    envelope,
    webhookId: 'msg_1',
    secret,
    timestamp: Math.floor(Date.now() / 1000),
  });

describe('raw-payload events (sync row-ops)', () => {
  it('POST json sends the data text itself, byte for byte, signed', () => {
    const sent = request('POST', 'json');
    expect(sent.body).toBe(dataJson);
    expect(() => new Webhook(secret).verify(sent.body!, sent.headers)).not.toThrow();
  });

  it('GET and form encode the data object, not an envelope', () => {
    expect(request('GET', 'json').url).toBe(
      'https://crm.example/hook?k=1&_valmi_meta__valmi_row_num=1&_valmi_meta__valmi_sync_op=upsert&id=12345678901234567890&name=%C3%91&_message_id=0&_sync_mode=upsert',
    );
    expect(decodeURIComponent(request('POST', 'form').body!)).toBe(
      '_valmi_meta[_valmi_row_num]=1&_valmi_meta[_valmi_sync_op]=upsert&id=12345678901234567890&name=Ñ&_message_id=0&_sync_mode=upsert',
    );
  });

  it('other events keep the envelope; nobody can publish or subscribe to the sync row type', () => {
    const custom = buildEnvelope({ type: 'order.paid', id: 'evt_1', timestamp: 0, dataJson: '{"a":1}' });
    expect(custom.raw).toBeUndefined();
    expect(request('POST', 'json', custom).body).toBe('{"type":"order.paid","id":"evt_1","timestamp":"1970-01-01T00:00:00.000Z","data":{"a":1}}');
    expect(customEventTypeProblem(SYNC_ROW_EVENT_TYPE)).toBe('reserved_prefix');
    expect(subscriptionEventProblem(SYNC_ROW_EVENT_TYPE)).toBe('reserved_prefix');
    expect(() => buildEnvelope({ type: 'hooklake.other', id: 'evt_2', timestamp: 0, dataJson: '{}' })).toThrow(/neither a built-in/);
  });
});
