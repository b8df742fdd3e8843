// webhook_received deliveries carry the inbound body as JSON (data.body), through the local stack
// to a real HTTP receiver on loopback, in every subscription format, signed.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscriptions } from '../../functions/api/app.ts';
import type { SubscriptionService } from '../../shared/ports/subscriptions.ts';
import { startReceiver, type Receiver, type ReceivedRequest } from '../support/receiver.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let outbound: SubscriptionService;
let receiver: Receiver;
let pipelineId: number;
let webhookUrl: string;
const secrets: Record<'json' | 'get' | 'form', string> = { json: '', get: '', form: '' };

beforeAll(async () => {
  stack = await startTestStack({ timeScale: 1 });
  outbound = createSubscriptions(stack.apiConfig);
  receiver = await startReceiver();
  pipelineId = await stack.createPipeline('body-json');
  const { key, token } = await stack.createToken();
  webhookUrl = stack.webhookUrl(pipelineId, key, token);
  const subscribe = async (path: string, method: 'POST' | 'GET', format: 'json' | 'form') =>
    (await outbound.createSubscription({ webhookUrl: `${receiver.url}${path}`, webhookHttpMethod: method, format, events: ['webhook_received'], pipelineId }))
      .secret;
  secrets.json = await subscribe('/json', 'POST', 'json');
  secrets.get = await subscribe('/get', 'GET', 'json');
  secrets.form = await subscribe('/form', 'POST', 'form');
});

afterAll(async () => {
  await receiver?.close();
  await stack?.dispose();
});

async function post(body: string, contentType = 'application/json'): Promise<string> {
  const reply = await postJson(webhookUrl, body, contentType);
  expect(reply.status).toBe(200);
  return reply.body.data.__kdd_request_id as string;
}

const rawQuery = (request: ReceivedRequest) => request.url.slice(request.url.indexOf('?') + 1);

/** The three deliveries of one request: JSON POST, GET, form POST. */
async function deliveriesOf(requestId: string): Promise<{ json: ReceivedRequest; get: ReceivedRequest; form: ReceivedRequest }> {
  return eventually(
    async () => {
      const json = receiver.at('/json').find((r) => (JSON.parse(r.body) as { data: { requestId: string } }).data.requestId === requestId);
      const get = receiver.at('/get').find((r) => new URLSearchParams(rawQuery(r)).get('data_requestId') === requestId);
      const form = receiver.at('/form').find((r) => new URLSearchParams(r.body).get('data[requestId]') === requestId);
      return json && get && form ? { json, get, form } : undefined;
    },
    20_000,
    `three deliveries of ${requestId}`,
  );
}

describe('webhook_received carries the body as JSON', () => {
  it('JSON POST has the body text verbatim (big integer, emoji) as data.body; GET and form reach its fields; all signed', async () => {
    const body = '{"order":{"id":987},"big":12345678901234567890123,"note":"café 😀 🇧🇷","10":true}';
    const requestId = await post(body);
    const { json, get, form } = await deliveriesOf(requestId);

    expect(json.headers['content-type']).toBe('application/json');
    expect(json.body).toContain(`"body":${body},`);
    const envelope = new Webhook(secrets.json).verify(json.body, json.headers as Record<string, string>) as { data: { body: unknown; format: string } };
    expect(envelope.data.format).toBe('json');
    expect(envelope.data.body).toEqual(JSON.parse(body));

    const query = new URLSearchParams(rawQuery(get));
    expect(query.get('data_body_order_id')).toBe('987');
    expect(query.get('data_body_big')).toBe('12345678901234567890123');
    expect(query.get('data_body_note')).toBe('café 😀 🇧🇷');
    expect(query.has('data_body')).toBe(false);
    expect(() => new Webhook(secrets.get).verify(rawQuery(get), get.headers as Record<string, string>, { jsonParse: false })).not.toThrow();

    const fields = new URLSearchParams(form.body);
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(fields.get('data[body][order][id]')).toBe('987');
    expect(fields.get('data[body][big]')).toBe('12345678901234567890123');
    expect(fields.get('data[body][note]')).toBe('café 😀 🇧🇷');
    expect(() => new Webhook(secrets.form).verify(form.body, form.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
  });

  it('a form-encoded inbound webhook arrives as the decoded object that landed', async () => {
    const requestId = await post('order[id]=987&note=%F0%9F%98%80', 'application/x-www-form-urlencoded');
    const { json, get, form } = await deliveriesOf(requestId);
    const envelope = new Webhook(secrets.json).verify(json.body, json.headers as Record<string, string>) as { data: { body: unknown; format: string } };
    expect(envelope.data).toMatchObject({ format: 'form', body: { order: { id: '987' }, note: '😀' } });
    expect(json.body).toContain('"body":{"order":{"id":"987"},"note":"😀"},');
    expect(new URLSearchParams(rawQuery(get)).get('data_body_order_id')).toBe('987');
    expect(new URLSearchParams(form.body).get('data[body][order][id]')).toBe('987');
  });

  it('a body past the 256 KiB event cap is left out, flagged bodyOmitted with its size', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(300_000) });
    const requestId = await post(body);
    const { json, get } = await deliveriesOf(requestId);
    const envelope = new Webhook(secrets.json).verify(json.body, json.headers as Record<string, string>) as { data: Record<string, unknown> };
    expect(envelope.data).not.toHaveProperty('body');
    expect(envelope.data).toMatchObject({ bodyOmitted: true, bodyBytes: Buffer.byteLength(body), requestId });
    expect(new URLSearchParams(rawQuery(get)).get('data_bodyOmitted')).toBe('true');
  });
});
