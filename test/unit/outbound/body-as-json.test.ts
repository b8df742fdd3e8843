// webhook_received carries the inbound body as the JSON value itself, spliced as text, and every
// delivery format reaches its fields: JSON POST verbatim, GET flattened, form bracket-keyed.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { webhookReceivedEvent } from '../../../shared/domain/delivery/built-in-events.ts';
import { buildDeliveryRequest, type DeliveryTarget } from '../../../shared/domain/delivery/request.ts';
import { buildEnvelope } from '../../../shared/domain/delivery/events.ts';
import {
  PayloadEncodingError,
  encodeBracketForm,
  flattenForQuery,
  parseJsonKeepingNumberText,
} from '../../../shared/domain/delivery/payload-encoding.ts';
import { MAX_EVENT_DATA_BYTES, parseQueueMessage, serializeQueueMessage } from '../../../shared/domain/delivery/queue-messages.ts';
import { newSigningSecret } from '../../../shared/domain/delivery/signature.ts';

const INPUT = {
  requestId: 'qwertyuiopasdfghjklz',
  ts: 1577015690.3118637,
  pipelineId: 7,
  key: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  format: 'json' as const,
  objectKey: 'webhooks/pipeline_id=7/dt=2019-12-22/abc.parquet',
};
const BODY = '{"order":{"id":987,"total":12345678901234567890123,"10":"x"},"note":"😀 \\u00e9 \u2028"}';

describe('webhookReceivedEvent', () => {
  it('puts the body text into data.body verbatim, as a JSON value', () => {
    const event = webhookReceivedEvent({ ...INPUT, body: BODY });
    expect(event.dataJson).toBe(
      `{"pipelineId":7,"requestId":"qwertyuiopasdfghjklz","requestUnixTimestamp":1577015690.3118637,` +
        `"requesterKey":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","format":"json","body":${BODY},` +
        `"objectKey":"webhooks/pipeline_id=7/dt=2019-12-22/abc.parquet"}`,
    );
    expect(JSON.parse(event.dataJson).body).toEqual(JSON.parse(BODY));
    expect(event).toMatchObject({ id: 'evt_recv_qwertyuiopasdfghjklz', type: 'webhook_received', timestamp: 1577015690312, pipelineId: 7 });
  });

  it('keeps a form or query body as the decoded object that was stored', () => {
    const stored = '{"leads":{"status":[{"id":"25399013"}]}}';
    const event = webhookReceivedEvent({ ...INPUT, format: 'form', body: stored });
    expect(JSON.parse(event.dataJson)).toMatchObject({ format: 'form', body: { leads: { status: [{ id: '25399013' }] } } });
  });

  it('leaves the body out past the data cap, flagged bodyOmitted with its size', () => {
    const big = JSON.stringify({ blob: 'é'.repeat(MAX_EVENT_DATA_BYTES / 2) });
    const event = webhookReceivedEvent({ ...INPUT, body: big });
    const data = JSON.parse(event.dataJson) as Record<string, unknown>;
    expect(data).not.toHaveProperty('body');
    expect(data).toMatchObject({ bodyOmitted: true, bodyBytes: Buffer.byteLength(big), objectKey: INPUT.objectKey, requestId: INPUT.requestId });
    expect(Buffer.byteLength(event.dataJson)).toBeLessThan(1024);
  });

  it('keeps a body whose data is exactly at the cap', () => {
    const empty = webhookReceivedEvent({ ...INPUT, body: '""' }).dataJson;
    const body = `"${'a'.repeat(MAX_EVENT_DATA_BYTES - Buffer.byteLength(empty))}"`;
    const event = webhookReceivedEvent({ ...INPUT, body });
    expect(Buffer.byteLength(event.dataJson)).toBe(MAX_EVENT_DATA_BYTES);
    expect(JSON.parse(event.dataJson).body).toBe(JSON.parse(body));
  });

  it('crosses the events queue with its data text unchanged', () => {
    const event = webhookReceivedEvent({ ...INPUT, body: BODY });
    const back = parseQueueMessage(serializeQueueMessage({ v: 1, kind: 'event', event }));
    expect(back).toEqual({ v: 1, kind: 'event', event });
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

describe('parseJsonKeepingNumberText', () => {
  it('keeps every number as written, for both encodings', () => {
    const value = parseJsonKeepingNumberText('{"a":[1.0,-0,1E400,0.1e-2,12345678901234567890123],"b":{"c":987}}');
    expect(flattenForQuery(value)).toEqual([
      ['a_0', '1.0'],
      ['a_1', '-0'],
      ['a_2', '1E400'],
      ['a_3', '0.1e-2'],
      ['a_4', '12345678901234567890123'],
      ['b_c', '987'],
    ]);
    expect(decodeURIComponent(encodeBracketForm(value))).toBe('a[0]=1.0&a[1]=-0&a[2]=1E400&a[3]=0.1e-2&a[4]=12345678901234567890123&b[c]=987');
  });

  it('refuses a bare number at the top level as it refuses any scalar', () => {
    expect(() => flattenForQuery(parseJsonKeepingNumberText('12'))).toThrow(PayloadEncodingError);
  });

  it('refuses deep nesting before parsing, as too_deep (brackets inside strings do not count)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseJsonKeepingNumberText(deep)).toThrow(expect.objectContaining({ code: 'too_deep' }));
    expect(parseJsonKeepingNumberText(`{"s":"${'['.repeat(1000)}\\""}`)).toEqual({ s: `${'['.repeat(1000)}"` });
  });
});
