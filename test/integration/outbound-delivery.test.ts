// Outbound deliveries through the local stack, to real HTTP receivers on loopback.
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscriptions } from '../../functions/api/app.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { sqsClient } from '../../shared/adapters/clients/sqs.ts';

let stack: TestStack;
let outbound: SubscriptionService;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startTestStack({ timeScale: 1, eventsVisibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  outbound = createSubscriptions(stack.apiConfig);
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

describe('fan-out to healthy receivers', () => {
  it('one event reaches every matching subscription exactly once, signed', async () => {
    const subs = await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        outbound.createSubscription({ webhookUrl: `${receiver.url}/healthy/${name}`, webhookHttpMethod: 'POST', events: ['order.paid'] }),
      ),
    );
    await outbound.createSubscription({ webhookUrl: `${receiver.url}/healthy/other`, webhookHttpMethod: 'POST', events: ['order.created'] });
    const published = await outbound.publishEvent('order.paid', { orderId: 42, total: '9.90' });
    await eventually(async () => (receiver.at('/healthy/').length >= 3 ? true : undefined), 15_000, 'three deliveries');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const got = receiver.at('/healthy/');
    expect(got.map((r) => r.url).sort()).toEqual(['/healthy/a', '/healthy/b', '/healthy/c']);
    for (const { subscription, secret } of subs) {
      const request = got.find((r) => r.url.endsWith(`/${subscription.webhookUrl.split('/').pop()}`))!;
      const payload = new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as Record<string, unknown>;
      expect(payload).toMatchObject({ type: 'order.paid', id: published.id, data: { orderId: 42, total: '9.90' } });
      const deliveries = (await outbound.listDeliveries(subscription.id)).items;
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({ status: 'succeeded', eventId: published.id, webhookId: request.headers['webhook-id'] });
      expect(deliveries[0]!.attempts).toMatchObject([{ number: 1, ok: true, statusCode: 200, responseSnippet: 'ok' }]);
    }
  });
});

describe('formats', () => {
  it('GET: the envelope flattened into the query, signed over the raw query string', async () => {
    const { subscription, secret } = await outbound.createSubscription({
      webhookUrl: `${receiver.url}/get?token=abc`,
      webhookHttpMethod: 'GET',
      events: ['row.synced'],
    });
    const published = await outbound.publishEvent('row.synced', {
      _valmi_meta: { _valmi_row_num: 347, _valmi_sync_op: 'upsert' },
      my_first_name: 'Ryan',
      email: 'ryan.salisbury@sakilacustomer.org',
      tags: ['a', 'b c'],
    });
    const [request] = await eventually(async () => (receiver.at('/get').length > 0 ? receiver.at('/get') : undefined), 15_000, 'the GET');
    expect(request!.method).toBe('GET');
    const rawQuery = request!.url.slice(request!.url.indexOf('?') + 1);
    expect(() => new Webhook(secret).verify(rawQuery, request!.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
    const query = new URLSearchParams(rawQuery);
    expect(Object.fromEntries(query)).toMatchObject({
      token: 'abc',
      type: 'row.synced',
      id: published.id,
      data__valmi_meta__valmi_row_num: '347',
      data__valmi_meta__valmi_sync_op: 'upsert',
      data_my_first_name: 'Ryan',
      data_email: 'ryan.salisbury@sakilacustomer.org',
      data_tags_0: 'a',
      data_tags_1: 'b c',
    });
    expect(rawQuery).toContain('email=ryan.salisbury%40sakilacustomer.org');
    await eventually(async () => (((await outbound.listDeliveries(subscription.id)).items)[0]?.status === 'succeeded' ? true : undefined));
  });

  it('POST form: bracket keys as Kommo sends them, signed over the body', async () => {
    const { secret } = await outbound.createSubscription({
      webhookUrl: `${receiver.url}/form`,
      webhookHttpMethod: 'POST',
      format: 'form',
      events: ['lead.status'],
      headers: { 'x-account': 'acme' },
    });
    await outbound.publishEvent('lead.status', { leads: { status: [{ id: 25399013, pipeline_id: 1, name: 'Ñandú' }] } });
    const [request] = await eventually(async () => (receiver.at('/form').length > 0 ? receiver.at('/form') : undefined), 15_000, 'the form POST');
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request!.headers['x-account']).toBe('acme');
    expect(() => new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
    const form = new URLSearchParams(request!.body);
    expect(form.get('type')).toBe('lead.status');
    expect(form.get('data[leads][status][0][id]')).toBe('25399013');
    expect(form.get('data[leads][status][0][name]')).toBe('Ñandú');
  });
});

describe('built-in events from the processor', () => {
  it('webhook_received carries the body that landed in the lake as its JSON value; batch_landed names the object', async () => {
    const pipelineId = await stack.createPipeline('outbound');
    const { key, token } = await stack.createToken();
    const { secret } = await outbound.createSubscription({
      webhookUrl: `${receiver.url}/inbound`,
      webhookHttpMethod: 'POST',
      events: ['webhook_received', 'batch_landed'],
      pipelineId,
    });
    const body = JSON.stringify({ order: 1234, note: 'café ☕', nested: { list: [1, 2, 3] } });
    const reply = await postJson(stack.webhookUrl(pipelineId, key, token), body);
    expect(reply.status).toBe(200);
    const requestId = reply.body.data.__kdd_request_id as string;
    const got = await eventually(async () => (receiver.at('/inbound').length >= 2 ? receiver.at('/inbound') : undefined), 20_000, 'two events');
    const envelopes = got.map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as Record<string, any>);
    const received = envelopes.find((e) => e.type === 'webhook_received')!;
    const landed = envelopes.find((e) => e.type === 'batch_landed')!;
    expect(received.id).toBe(`evt_recv_${requestId}`);
    expect(received.data).toMatchObject({ pipelineId, requestId, requesterKey: key, format: 'json' });
    const [row] = await stack.query(`select __kdd_request_body as body from webhooks where __kdd_request_id = '${requestId}'`);
    expect(row!.body).toBe(body);
    expect(received.data.body).toEqual(JSON.parse(body));
    expect(got.find((r) => r.body.includes('"type":"webhook_received"'))!.body).toContain(`"body":${body},`);
    expect(landed.data).toMatchObject({ pipelineId, objectKey: received.data.objectKey, rows: 1 });
    expect(JSON.stringify(envelopes)).not.toContain(token);
  });
});

describe('events queue', () => {
  it('the same event in a second message (re-published by a re-processed batch) is not delivered again', async () => {
    const sqs = sqsClient({ region: stack.info.region, endpoints: stack.info.endpoints });
    try {
      const { subscription } = await outbound.createSubscription({
        webhookUrl: `${receiver.url}/republished`,
        webhookHttpMethod: 'POST',
        events: ['re.published'],
      });
      const body = JSON.stringify({ v: 1, kind: 'event', event: { id: 'evt_recv_republished0000000', type: 're.published', timestamp: Date.now(), data: { n: 1 } } });
      const publish = () => sqs.send(new SendMessageCommand({ QueueUrl: stack.info.resources.eventsQueueUrl, MessageBody: body }));
      await publish();
      await eventually(async () => (((await outbound.listDeliveries(subscription.id)).items)[0]?.status === 'succeeded' ? true : undefined), 10_000, 'the first delivery');
      await publish();
      await outbound.publishEvent('re.published', { n: 2 }); // behind it on the queue
      await eventually(async () => (receiver.at('/republished').length >= 2 ? true : undefined), 10_000, 'the next event');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.at('/republished').map((r) => JSON.parse(r.body).data.n as number).sort()).toEqual([1, 2]);
    } finally {
      sqs.destroy();
    }
  }, 30_000);

  it('a malformed message ends in the events DLQ without holding up deliveries', async () => {
    const sqs = sqsClient({ region: stack.info.region, endpoints: stack.info.endpoints });
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: stack.info.resources.eventsQueueUrl, MessageBody: '{"v":1,"kind":"nonsense"}' }));
      await outbound.createSubscription({ webhookUrl: `${receiver.url}/after-poison`, webhookHttpMethod: 'POST', events: ['after.poison'] });
      await outbound.publishEvent('after.poison', { ok: true });
      await eventually(async () => (receiver.at('/after-poison').length === 1 ? true : undefined), 10_000, 'the delivery after the poison');
      const dead = await eventually(
        async () => {
          const { Messages = [] } = await sqs.send(
            new ReceiveMessageCommand({ QueueUrl: stack.info.resources.eventsDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
          );
          return Messages.length > 0 ? Messages : undefined;
        },
        20_000,
        'the poison message in the events DLQ',
      );
      expect(dead.map((m) => m.Body)).toEqual(['{"v":1,"kind":"nonsense"}']);
    } finally {
      sqs.destroy();
    }
  }, 30_000);
});
