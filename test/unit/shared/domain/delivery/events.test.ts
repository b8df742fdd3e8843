import { describe, expect, it } from 'vitest';
import {
  EVENT_CATALOGUE,
  buildEnvelope,
  customEventTypeProblem,
  envelopeForEncoding,
  envelopeJson,
  deliveryMessageId,
  exampleEnvelope,
  isBuiltInEventType,
  matchesSubscription,
  subscriptionEventProblem,
  type SubscriptionFilter,
} from '../../../../../shared/domain/delivery/events.ts';
import { signPayload } from '../../../../../shared/domain/delivery/signature.ts';
import { rejectionSummaryEvent } from '../../../../../shared/domain/delivery/built-in-events.ts';
import { REJECTION_REASONS } from '../../../../../shared/domain/ingest/records.ts';
import type { RejectionSummary } from '../../../../../shared/domain/ingest/rejections.ts';

describe('event catalogue', () => {
  it('lists the built-in events, ping not subscribable', () => {
    expect(EVENT_CATALOGUE.map((e) => [e.type, e.subscribable])).toEqual([
      ['webhook_received', true],
      ['batch_landed', true],
      ['webhook_rejected', true],
      ['ping', false],
    ]);
    for (const definition of EVENT_CATALOGUE) {
      expect(definition.description.length).toBeGreaterThan(20);
      expect(isBuiltInEventType(definition.type)).toBe(true);
    }
    expect(isBuiltInEventType('order.paid')).toBe(false);
  });

  it('gives every event an example envelope with the stable key order', () => {
    for (const definition of EVENT_CATALOGUE) {
      const json = JSON.stringify(exampleEnvelope(definition));
      const parsed = JSON.parse(json) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['type', 'id', 'timestamp', 'data']);
      expect(parsed.type).toBe(definition.type);
      expect(parsed.timestamp).toBe('2019-12-22T11:54:50.311Z');
      expect(parsed.data).toEqual(definition.exampleData);
    }
  });

  it('shows webhook_received with its body as a JSON object, not a string', () => {
    const received = EVENT_CATALOGUE.find((e) => e.type === 'webhook_received')!;
    expect((received.exampleData as { body: unknown }).body).toEqual({ order_id: 1234, status: 'paid' });
  });

  it('uses the rejection reasons of the inbound side in its example, which is what rejectionSummaryEvent builds', () => {
    const rejected = EVENT_CATALOGUE.find((e) => e.type === 'webhook_rejected')!;
    const example = rejected.exampleData as { byReason: Record<string, number> };
    for (const reason of Object.keys(example.byReason)) expect(REJECTION_REASONS).toContain(reason);
    const built = rejectionSummaryEvent(example as unknown as RejectionSummary);
    const builtData = JSON.parse(built.dataJson) as object;
    expect(builtData).toEqual(rejected.exampleData);
    expect(Object.keys(builtData)).toEqual(Object.keys(rejected.exampleData as object));
  });
});

describe('custom event type names', () => {
  it.each([
    ['order.paid', undefined],
    ['a', undefined],
    ['lead_status-changed.v2', undefined],
    [`a${'b'.repeat(63)}`, undefined],
    [`a${'b'.repeat(64)}`, 'bad_format'],
    ['', 'bad_format'],
    ['Order', 'bad_format'],
    ['1order', 'bad_format'],
    ['_order', 'bad_format'],
    ['order paid', 'bad_format'],
    ['pedido.é', 'bad_format'],
    ['order/paid', 'bad_format'],
    ['webhook_received', 'built_in'],
    ['ping', 'built_in'],
    ['hooklake.anything', 'reserved_prefix'],
  ])('%s → %s', (name, problem) => {
    expect(customEventTypeProblem(name)).toBe(problem);
  });

  it('lets subscriptions list subscribable built-ins and custom names, not ping', () => {
    expect(subscriptionEventProblem('batch_landed')).toBeUndefined();
    expect(subscriptionEventProblem('order.paid')).toBeUndefined();
    expect(subscriptionEventProblem('ping')).toBe('not_subscribable');
    expect(subscriptionEventProblem('Bad Name')).toBe('bad_format');
  });
});

describe('buildEnvelope', () => {
  it('builds {type, id, timestamp (ISO), data} from an injected time, the data text spliced in as it is', () => {
    const envelope = buildEnvelope({ type: 'batch_landed', id: 'evt_1', timestamp: 1577015690311, dataJson: '{"rows":3}' });
    expect(envelopeJson(envelope)).toBe('{"type":"batch_landed","id":"evt_1","timestamp":"2019-12-22T11:54:50.311Z","data":{"rows":3}}');
    expect(buildEnvelope({ type: 'order.paid', id: 'e', timestamp: new Date(0), dataJson: 'null' }).timestamp).toBe('1970-01-01T00:00:00.000Z');
  });

  it('keeps the data text verbatim in the JSON body: big integers, key order, escapes, raw non-ASCII', () => {
    const dataJson = '{"z":12345678901234567890123,"10":1.0,"a":"\\u00e9 \\ud800 é 😀"}';
    const body = envelopeJson(buildEnvelope({ type: 'order.paid', id: 'e', timestamp: 0, dataJson }));
    expect(body).toBe(`{"type":"order.paid","id":"e","timestamp":"1970-01-01T00:00:00.000Z","data":${dataJson}}`);
    expect(JSON.stringify(JSON.parse(body).data)).not.toBe(dataJson); // what a parse-and-stringify round trip would have lost
  });

  it('gives GET and form encodings the data as a value whose numbers keep their source text', () => {
    const value = envelopeForEncoding(
      buildEnvelope({ type: 'order.paid', id: 'e', timestamp: 0, dataJson: '{"body":{"order":{"id":987,"big":12345678901234567890123}}}' }),
    );
    expect(JSON.stringify(value)).toBe(
      '{"type":"order.paid","id":"e","timestamp":"1970-01-01T00:00:00.000Z","data":{"body":{"order":{"id":987,"big":12345678901234567890123}}}}',
    );
  });

  it('refuses unknown-format types, unusable ids and invalid times', () => {
    expect(() => buildEnvelope({ type: 'Not Valid', id: 'e', timestamp: 0, dataJson: 'null' })).toThrow(RangeError);
    expect(() => buildEnvelope({ type: 'ping', id: '', timestamp: 0, dataJson: 'null' })).toThrow(RangeError);
    expect(() => buildEnvelope({ type: 'ping', id: 'has space', timestamp: 0, dataJson: 'null' })).toThrow(RangeError);
    expect(() => buildEnvelope({ type: 'ping', id: 'e', timestamp: Number.NaN, dataJson: 'null' })).toThrow(RangeError);
  });
});

describe('matchesSubscription', () => {
  const sub = (overrides: Partial<SubscriptionFilter> = {}): SubscriptionFilter => ({
    events: ['webhook_received', 'order.paid'],
    enabled: true,
    ...overrides,
  });

  it.each<[string, SubscriptionFilter, { type: string; pipelineId?: number }, boolean]>([
    ['listed event, any pipeline', sub(), { type: 'webhook_received', pipelineId: 7 }, true],
    ['listed custom event', sub(), { type: 'order.paid' }, true],
    ['unlisted event', sub(), { type: 'batch_landed', pipelineId: 7 }, false],
    ['disabled', sub({ enabled: false }), { type: 'webhook_received', pipelineId: 7 }, false],
    ['same pipeline', sub({ pipelineId: 7 }), { type: 'webhook_received', pipelineId: 7 }, true],
    ['other pipeline', sub({ pipelineId: 7 }), { type: 'webhook_received', pipelineId: 8 }, false],
    ['event without pipeline, subscription limited to one', sub({ pipelineId: 7 }), { type: 'order.paid' }, false],
    ['ping even if listed', sub({ events: ['ping'] }), { type: 'ping' }, false],
    ['no events', sub({ events: [] }), { type: 'webhook_received' }, false],
    ['case matters', sub(), { type: 'Webhook_Received' }, false],
  ])('%s', (_, subscription, event, expected) => {
    expect(matchesSubscription(subscription, event)).toBe(expected);
  });
});

describe('deliveryMessageId', () => {
  it('is stable per (event, subscription), different otherwise, and a valid webhook-id', () => {
    const id = deliveryMessageId('evt_1', 'sub_1');
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(deliveryMessageId('evt_1', 'sub_1')).toBe(id);
    expect(deliveryMessageId('evt_1', 'sub_2')).not.toBe(id);
    expect(deliveryMessageId('evt_2', 'sub_1')).not.toBe(id);
    expect(deliveryMessageId('ab', 'c')).not.toBe(deliveryMessageId('a', 'bc'));
    expect(() => signPayload({ secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}`, msgId: id, timestamp: 1, payload: '' })).not.toThrow();
  });
});
