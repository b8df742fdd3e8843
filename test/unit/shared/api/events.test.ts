// /v4/events through the whole management API, with an in-memory SubscriptionService: the
// catalogue paged, custom events validated and published with their data as given.
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';
import { MAX_EVENT_DATA_BYTES } from '../../../../shared/domain/delivery/queue-messages.ts';
import { EVENT_CATALOGUE } from '../../../../shared/domain/delivery/events.ts';

const URL_OK = 'https://hooks.example.com/hooklake';

async function setup() {
  const { subscriptions: outbound, call } = await apiHarness();
  return { outbound, call };
}

describe('/v4/events', () => {
  it('lists the catalogue with descriptions and example envelopes', async () => {
    const { call } = await setup();
    const response = await call('GET', '/v4/events');
    expect(response.status).toBe(200);
    expect(response.body.events.map((e: { type: string }) => e.type)).toEqual(EVENT_CATALOGUE.map((e) => e.type));
    for (const event of response.body.events) {
      expect(event).toEqual({
        type: expect.any(String),
        description: expect.any(String),
        subscribable: event.type !== 'ping',
        example: { type: event.type, id: expect.any(String), timestamp: expect.any(String), data: expect.any(Object) },
      });
    }
  });

  it('publishes a custom event with 202', async () => {
    const { call, outbound } = await setup();
    const response = await call('POST', '/v4/events', { type: 'orders.paid', data: { orderId: 7, tags: ['a'] }, pipelineId: 3 });
    expect(response).toEqual({
      status: 202,
      headers: undefined,
      body: { id: expect.stringMatching(/^evt_/), type: 'orders.paid', timestamp: '2026-11-20T12:00:00.000Z' },
    });
    expect(outbound.published[0]).toMatchObject({ data: { orderId: 7, tags: ['a'] }, pipelineId: 3 });
    for (const data of [null, 0, 'text', [1, 2], false]) {
      expect((await call('POST', '/v4/events', { type: 'x', data })).status).toBe(202);
    }
    expect(outbound.published.map((p) => p.data).slice(1)).toEqual([null, 0, 'text', [1, 2], false]);
  });

  it.each([
    [{ type: 'webhook_received', data: {} }, 'INVALID_EVENT_TYPE', /built-in/],
    [{ type: 'ping', data: {} }, 'INVALID_EVENT_TYPE', /built-in/],
    [{ type: 'hooklake.thing', data: {} }, 'INVALID_EVENT_TYPE', /reserved/],
    [{ type: 'Bad', data: {} }, 'INVALID_EVENT_TYPE', /not a valid event type/],
    [{ type: 'a'.repeat(65), data: {} }, 'INVALID_REQUEST', /at most 64/],
    [{ type: 'ok' }, 'INVALID_REQUEST', /data is required/],
    [{ data: {} }, 'INVALID_REQUEST', /type is required/],
    [{ type: 'ok', data: {}, extra: 1 }, 'INVALID_REQUEST', /unknown field "extra"/],
    [{ type: 'ok', data: {}, pipelineId: -1 }, 'INVALID_REQUEST', /pipelineId/],
  ])('refuses %j', async (body, code, message) => {
    const { call } = await setup();
    const response = await call('POST', '/v4/events', body);
    expect(response).toMatchObject({ status: 400, body: { error: code } });
    expect(response.body.message).toMatch(message);
  });

  it('accepts data up to 256 KiB and answers 413 above, beyond the 64 KiB default', async () => {
    const { call } = await setup();
    const fits = 'x'.repeat(MAX_EVENT_DATA_BYTES - 2);
    expect((await call('POST', '/v4/events', { type: 'big', data: fits })).status).toBe(202);
    const over = await call('POST', '/v4/events', { type: 'big', data: `${fits}x` });
    expect(over).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    const huge = await call('POST', '/v4/events', { type: 'big', data: 'x'.repeat(MAX_EVENT_DATA_BYTES * 2) });
    expect(huge).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    // Other routes keep the 64 KiB limit.
    const subscription = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['x'], description: 'd'.repeat(70_000) });
    expect(subscription).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
  });
});
