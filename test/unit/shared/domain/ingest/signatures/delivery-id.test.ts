// The provider's own id of a delivery, from the header each provider sets.
import { describe, expect, it } from 'vitest';
import { providerDeliveryId } from '../../../../../../shared/domain/ingest/signatures/delivery-id.ts';

const BODY = '{"id":"evt_1","event_id":"Ev1","text":"caf\u00e9 \u{1F600} \\u2028 \u2028","n":1.50}\n';

describe('provider delivery ids', () => {
  const headers = { 'x-github-delivery': 'gh-1', 'x-shopify-webhook-id': 'sh-1', 'webhook-id': 'msg_1', 'stripe-signature': 't=1,v1=00', 'x-slack-signature': 'v0=00' };
  it.each([
    ['github', 'gh-1'],
    ['shopify', 'sh-1'],
    ['standard-webhooks', 'msg_1'],
    ['stripe', 'evt_1'],
    ['slack', 'Ev1'],
    ['hmac', 'gh-1'],
    [undefined, 'gh-1'],
  ] as const)('%s → %s', (provider, id) => {
    expect(providerDeliveryId(provider, headers, BODY)).toBe(id);
  });

  it('without a provider: the id headers in order, then Stripe or Slack by their signature header, else null', () => {
    expect(providerDeliveryId(undefined, { 'webhook-id': 'msg_2' }, BODY)).toBe('msg_2');
    expect(providerDeliveryId(undefined, { 'stripe-signature': 't=1' }, BODY)).toBe('evt_1');
    expect(providerDeliveryId(undefined, { 'x-slack-signature': 'v0=1' }, BODY)).toBe('Ev1');
    expect(providerDeliveryId(undefined, {}, BODY)).toBeNull();
    expect(providerDeliveryId(undefined, undefined, BODY)).toBeNull();
  });

  it('a body that is not a JSON object, a non-string id, an empty or over-long id give null', () => {
    expect(providerDeliveryId('stripe', {}, 'id=evt_1')).toBeNull();
    expect(providerDeliveryId('stripe', {}, '{"id":123}')).toBeNull();
    expect(providerDeliveryId('stripe', {}, '["evt_1"]')).toBeNull();
    expect(providerDeliveryId('github', { 'x-github-delivery': ' ' }, BODY)).toBeNull();
    expect(providerDeliveryId('github', { 'x-github-delivery': 'x'.repeat(257) }, BODY)).toBeNull();
    expect(providerDeliveryId('slack', {}, 'token=a&command=%2Fx')).toBeNull();
  });
});
