// The delivery engine's hook for syncs: an event of type hooklake.sync_row is delivered as its data
// alone (valmi's payload at the top level), in each method and format; other events keep the envelope.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { buildDeliveryRequest } from '../../../shared/domain/delivery/request.ts';
import { buildEnvelope, customEventTypeProblem, subscriptionEventProblem, SYNC_ROW_EVENT_TYPE } from '../../../shared/domain/delivery/events.ts';
import { newSigningSecret } from '../../../shared/domain/delivery/signature.ts';

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
