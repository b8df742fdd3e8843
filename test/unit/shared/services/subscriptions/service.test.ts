// The SubscriptionService over the in-memory delivery world: what it refuses to store (SSRF rules,
// event types, data size), secrets never listed, and the signed ping of the connection test.
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { DeliveryRequest } from '../../../../../shared/domain/delivery/request.ts';
import type { SendResult } from '../../../../../shared/ports/delivery.ts';
import { SubscriptionError } from '../../../../../shared/ports/subscriptions.ts';
import { deliveryWorld } from '../../../../support/delivery-world.ts';

const T0 = Math.floor(Date.now() / 1000) * 1000;

function setup(options: { answer?: (request: DeliveryRequest, index: number) => SendResult; allowPrivate?: boolean } = {}) {
  return deliveryWorld({ startMs: T0, ...(options.answer === undefined ? {} : { answer: options.answer }), allowPrivateTargets: options.allowPrivate ?? true });
}

describe('SubscriptionService checks', () => {
  it('refuses private targets (literal and after DNS) unless allowed, and bad event types', async () => {
    const t = setup({ allowPrivate: false });
    const create = (webhookUrl: string, events = ['x.y']) => t.service.createSubscription({ webhookUrl, webhookHttpMethod: 'POST', events });
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://10.0.0.1/', 'http://localhost:8080/', 'http://rebind.example/', 'ftp://a.example/']) {
      await expect(create(url), url).rejects.toMatchObject({ code: 'INVALID_TARGET' });
    }
    await expect(create('https://a.example/', ['ping'])).rejects.toMatchObject({ code: 'INVALID_EVENT_TYPE' });
    await expect(create('https://a.example/', [])).rejects.toBeInstanceOf(SubscriptionError);
    await expect(t.service.publishEvent('webhook_received', {})).rejects.toMatchObject({ code: 'INVALID_EVENT_TYPE' });
    await expect(t.service.publishEvent('big', { x: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const { secret } = await create('https://a.example/');
    expect(JSON.stringify((await t.service.listSubscriptions({ limit: 100 })).items)).not.toContain(secret);
  });

  it('testSubscription sends a signed ping and reports the answer', async () => {
    const t = setup({ answer: () => ({ outcome: { status: 404 }, statusCode: 404, latencyMs: 7, responseSnippet: 'nope' }) });
    const { subscription, secret } = await t.service.createSubscription({ webhookUrl: 'https://a.example/', webhookHttpMethod: 'POST', events: ['x.y'] });
    const result = await t.service.testSubscription(subscription.id);
    expect(result).toEqual({ ok: false, statusCode: 404, latencyMs: 7, errorClass: 'http_status', responseSnippet: 'nope' });
    const [ping] = t.sent;
    expect(new Webhook(secret).verify(ping!.body!, ping!.headers)).toMatchObject({ type: 'ping', data: { subscriptionId: subscription.id } });
    await expect(t.service.testSubscription('sub_missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
