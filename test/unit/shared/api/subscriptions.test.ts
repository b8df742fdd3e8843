// /v4/webhook-subscriptions through the whole management API, with an in-memory
// SubscriptionService: validation, error mapping, status codes, response shapes, and the
// subscription's delivery log and redelivery (the routes destinations.ts builds for each kind).
import { describe, expect, it } from 'vitest';
import { apiHarness } from '../../../support/api-harness.ts';
import { SUBSCRIPTION_ID } from '../../../../shared/domain/delivery/destinations.ts';
import { MAX_CUSTOM_HEADERS, headersProblem } from '../../../../shared/domain/delivery/header-policy.ts';
import { SubscriptionError } from '../../../../shared/ports/subscriptions.ts';

const URL_OK = 'https://hooks.example.com/hooklake';

async function setup(options: { allowPrivate?: boolean } = {}) {
  const { store, subscriptions: outbound, call, errors } = await apiHarness(options);
  const subscribe = async (body: Record<string, unknown> = {}) => {
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['webhook_received'], ...body });
    expect(response.status).toBe(201);
    return response.body as { id: string; secret: string } & Record<string, any>;
  };
  return { store, outbound, call, subscribe, errors };
}

describe('POST /v4/webhook-subscriptions', () => {
  it('creates with Kadoa defaults and returns the secret once', async () => {
    const { call, outbound } = await setup();
    const created = await call('POST', '/v4/webhook-subscriptions', {
      webhookUrl: URL_OK,
      webhookHttpMethod: 'POST',
      events: ['webhook_received', 'batch_landed', 'webhook_received'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(SUBSCRIPTION_ID),
      webhookUrl: URL_OK,
      webhookHttpMethod: 'POST',
      events: ['webhook_received', 'batch_landed'],
      pipelineId: null,
      description: null,
      headers: {},
      format: 'json',
      enabled: true,
      createdAt: '2026-11-20T12:00:00.000Z',
      updatedAt: '2026-11-20T12:00:00.000Z',
      secret: expect.stringMatching(/^whsec_/),
    });
    const { id, secret } = created.body;
    expect(outbound.secrets.get(id)).toBe(secret);

    const list = await call('GET', '/v4/webhook-subscriptions');
    expect(list.status).toBe(200);
    expect(list.body.subscriptions).toHaveLength(1);
    const got = await call('GET', `/v4/webhook-subscriptions/${id}`);
    const { secret: _secret, ...withoutSecret } = created.body;
    expect(got).toMatchObject({ status: 200, body: withoutSecret });
    for (const response of [list, got]) {
      expect(JSON.stringify(response.body)).not.toContain(secret);
      expect(JSON.stringify(response.body)).not.toContain('"secret"');
    }
  });

  it('passes every optional field to the engine', async () => {
    const { call, store, outbound } = await setup();
    const pipeline = await store.createPipeline({ name: 'p', createdAt: '2026-01-01T00:00:00.000Z' });
    const created = await call('POST', '/v4/webhook-subscriptions', {
      webhookUrl: ` ${URL_OK} `,
      webhookHttpMethod: 'post',
      events: ['orders.paid'],
      pipelineId: pipeline.id,
      description: '  CRM sync ',
      headers: { Authorization: 'Bearer abc', 'X-Team': 'data' },
      format: 'form',
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(outbound.calls.find((c) => c.method === 'createSubscription')?.args[0]).toEqual({
      webhookUrl: URL_OK,
      webhookHttpMethod: 'POST',
      events: ['orders.paid'],
      pipelineId: pipeline.id,
      description: 'CRM sync',
      headers: { Authorization: 'Bearer abc', 'X-Team': 'data' },
      format: 'form',
      enabled: false,
    });
    expect(created.body).toMatchObject({ pipelineId: pipeline.id, format: 'form', enabled: false, description: 'CRM sync' });
  });

  it.each([
    [{}, /webhookUrl is required/],
    [{ webhookUrl: URL_OK }, /events is required/],
    [{ webhookUrl: URL_OK, events: [] }, /events: must name at least one/],
    [{ webhookUrl: URL_OK, events: 'webhook_received' }, /events: must be an array/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], webhookHttpMethod: 'PUT' }, /webhookHttpMethod: must be "POST" or "GET"/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], format: 'xml' }, /format: must be "json" or "form"/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], pipelineId: 0 }, /pipelineId: must be a positive integer/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], enabled: 'yes' }, /enabled: must be true or false/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], secret: 'mine' }, /unknown field "secret"/],
    [{ webhookUrl: 'x'.repeat(3000), events: ['webhook_received'] }, /webhookUrl: must be at most 2048/],
    [{ webhookUrl: URL_OK, events: Array.from({ length: 51 }, (_, i) => `e${i}`) }, /at most 50 event types/],
    [{ webhookUrl: URL_OK, events: ['webhook_received'], description: 'a\u0000b' }, /description: must not contain control/],
  ])('refuses %j with INVALID_REQUEST', async (body, message) => {
    const { call, outbound } = await setup();
    const response = await call('POST', '/v4/webhook-subscriptions', body);
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(response.body.message).toMatch(message);
    expect(outbound.calls.filter((c) => c.method === 'createSubscription')).toEqual([]);
  });

  it('refuses form encoding for GET deliveries, accepts json', async () => {
    const { call } = await setup();
    const form = await call('POST', '/v4/webhook-subscriptions', {
      webhookUrl: URL_OK,
      webhookHttpMethod: 'GET',
      events: ['webhook_received'],
      format: 'form',
    });
    expect(form).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(form.body.message).toContain('POST deliveries only');
    const json = await call('POST', '/v4/webhook-subscriptions', {
      webhookUrl: URL_OK,
      webhookHttpMethod: 'GET',
      events: ['webhook_received'],
      format: 'json',
    });
    expect(json).toMatchObject({ status: 201, body: { webhookHttpMethod: 'GET' } });
  });

  it.each([
    ['ping', /only by the connection test/],
    ['Orders', /not a valid event type/],
    ['hooklake.internal', /reserved/],
    ['has space', /not a valid event type/],
  ])('refuses the event %s with INVALID_EVENT_TYPE', async (event, message) => {
    const { call } = await setup();
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['webhook_received', event] });
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_EVENT_TYPE' } });
    expect(response.body.message).toMatch(message);
  });

  it.each([
    'ftp://example.com/x',
    'https://user:pass@example.com/x',
    'http://169.254.169.254/latest/meta-data',
    'not a url',
  ])('refuses the target %s with INVALID_TARGET, storing nothing', async (webhookUrl) => {
    const { call, outbound } = await setup({ allowPrivate: true });
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl, events: ['webhook_received'] });
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_TARGET' } });
    expect(outbound.subscriptions.size).toBe(0);
  });

  it('maps the engine\'s INVALID_TARGET (private address after DNS) to 400', async () => {
    const { call } = await setup({ allowPrivate: false });
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: 'http://127.0.0.1:8080/', events: ['webhook_received'] });
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_TARGET', message: expect.stringContaining('loopback') } });
    const allowed = await (await setup({ allowPrivate: true })).call('POST', '/v4/webhook-subscriptions', {
      webhookUrl: 'http://127.0.0.1:8080/',
      events: ['webhook_received'],
    });
    expect(allowed.status).toBe(201);
  });

  it('refuses a pipeline filter naming an unknown pipeline with 409', async () => {
    const { call } = await setup();
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['batch_landed'], pipelineId: 42 });
    expect(response).toMatchObject({ status: 409, body: { error: 'UNKNOWN_PIPELINE', message: 'unknown pipeline: 42' } });
  });
});

describe('custom headers', () => {
  it.each([
    [{ Host: 'evil.example' }, /Host is set by Hooklake/],
    [{ 'content-length': '1' }, /set by Hooklake/],
    [{ 'Content-Type': 'text/plain' }, /set by Hooklake/],
    [{ Connection: 'close' }, /set by Hooklake/],
    [{ 'Transfer-Encoding': 'chunked' }, /set by Hooklake/],
    [{ 'webhook-signature': 'v1,forged' }, /set by Hooklake/],
    [{ 'Webhook-Id': 'x' }, /set by Hooklake/],
    [{ 'webhook-version': '2' }, /set by Hooklake/],
    [{ 'User-Agent': 'mine' }, /User-Agent is set by Hooklake/],
    [{ 'Content-Encoding': 'gzip' }, /set by Hooklake/],
    [{ 'Proxy-Authorization': 'Basic x' }, /set by Hooklake/],
    [{ 'Keep-Alive': 'timeout=5' }, /set by Hooklake/],
    [{ 'X-A': '1', 'x-a': '2' }, /given twice/],
    [{ 'Bad Name': 'x' }, /not a valid header name/],
    [{ '': 'x' }, /not a valid header name/],
    [JSON.parse('{"__proto__": "x"}'), /not a valid header name/],
    [{ 'X-Split': 'a\r\nInjected: yes' }, /printable ASCII/],
    [{ 'X-Long': 'v'.repeat(2049) }, /exceeds 2048/],
    [Object.fromEntries(Array.from({ length: MAX_CUSTOM_HEADERS + 1 }, (_, i) => [`X-H${i}`, 'v'])), /at most 20/],
    [Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`X-H${i}`, 'v'.repeat(2000)])), /exceed 8192 bytes/],
  ])('refuses %j', async (headers, message) => {
    expect(headersProblem(headers)).toMatch(message);
    const { call } = await setup();
    const response = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['webhook_received'], headers });
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(response.body.message).toMatch(/headers/);
    expect(response.body.message).toMatch(message);
  });

  it('refuses non-string values and accepts ordinary headers', async () => {
    const { call } = await setup();
    const bad = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['webhook_received'], headers: { 'X-N': 1 } });
    expect(bad).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['x'], headers: ['X-A: 1'] })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('headers: must be an object') },
    });
    const headers = { Authorization: 'Bearer x', 'X-Api-Key': 'k', 'X-Webhook-Source': 'mine', Cookie: 'a=b', constructor: 'kept' };
    expect(headersProblem(headers)).toBeUndefined();
    const created = await call('POST', '/v4/webhook-subscriptions', { webhookUrl: URL_OK, events: ['x'], headers });
    // Names shown, values never (not even in the creation response).
    const masked = Object.fromEntries(Object.keys(headers).map((name) => [name, '***']));
    expect(created).toMatchObject({ status: 201, body: { headers: masked } });
    expect(JSON.stringify(created.body)).not.toContain('Bearer x');
    expect((await call('GET', `/v4/webhook-subscriptions/${created.body.id}`)).body.headers).toEqual(masked);
    expect((await call('GET', '/v4/webhook-subscriptions')).body.subscriptions[0].headers).toEqual(masked);
  });

  it('refuses the mask *** as a value, so a read-modify-write cannot store it', async () => {
    const { call, subscribe } = await setup();
    const { id } = await subscribe();
    const response = await call('PATCH', `/v4/webhook-subscriptions/${id}`, { headers: { Authorization: '***' } });
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST', message: expect.stringContaining('send the real value') } });
  });
});

describe('PATCH /v4/webhook-subscriptions/{id}', () => {
  it('changes enabled, events, description, headers, format and the pipeline filter', async () => {
    const { call, subscribe, store, outbound } = await setup();
    const pipeline = await store.createPipeline({ name: 'p', createdAt: '2026-01-01T00:00:00.000Z' });
    const { id } = await subscribe({ description: 'old', pipelineId: pipeline.id });
    const patched = await call('PATCH', `/v4/webhook-subscriptions/${id}`, {
      enabled: false,
      events: ['batch_landed'],
      headers: { 'X-New': '1' },
      format: 'form',
    });
    expect(patched).toMatchObject({
      status: 200,
      body: { id, enabled: false, events: ['batch_landed'], headers: { 'X-New': '***' }, format: 'form', description: 'old', pipelineId: pipeline.id },
    });
    expect(patched.body.secret).toBeUndefined();

    const cleared = await call('PATCH', `/v4/webhook-subscriptions/${id}`, { description: null, pipelineId: null });
    expect(cleared.body).toMatchObject({ description: null, pipelineId: null });
    const changes = outbound.calls.filter((c) => c.method === 'updateSubscription').map((c) => c.args[1]);
    expect(changes[1]).toHaveProperty('description', undefined);
    expect(changes[1]).toHaveProperty('pipelineId', undefined);
  });

  it('validates like create, and needs at least one field', async () => {
    const { call, subscribe } = await setup();
    const { id } = await subscribe({ webhookHttpMethod: 'GET' });
    expect(await call('PATCH', `/v4/webhook-subscriptions/${id}`, {})).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await call('PATCH', `/v4/webhook-subscriptions/${id}`, { format: 'form' })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_REQUEST', message: expect.stringContaining('POST deliveries only') },
    });
    expect(await call('PATCH', `/v4/webhook-subscriptions/${id}`, { events: ['ping'] })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_EVENT_TYPE' },
    });
    expect(await call('PATCH', `/v4/webhook-subscriptions/${id}`, { webhookUrl: URL_OK })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_REQUEST', message: expect.stringContaining('unknown field "webhookUrl"') },
    });
    expect(await call('PATCH', `/v4/webhook-subscriptions/${id}`, { pipelineId: 7 })).toMatchObject({
      status: 409,
      body: { error: 'UNKNOWN_PIPELINE' },
    });
    expect(await call('PATCH', '/v4/webhook-subscriptions/sub_missing000', { enabled: true })).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
  });
});

describe('subscription ids, 404s and DELETE', () => {
  it('deletes once, then answers 404', async () => {
    const { call, subscribe } = await setup();
    const { id, secret } = await subscribe();
    const deleted = await call('DELETE', `/v4/webhook-subscriptions/${id}`);
    expect(deleted).toMatchObject({ status: 200, body: { id, deleted: true } });
    expect(JSON.stringify(deleted.body)).not.toContain(secret);
    expect(await call('DELETE', `/v4/webhook-subscriptions/${id}`)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await call('GET', `/v4/webhook-subscriptions/${id}`)).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND', message: `subscription ${id} does not exist` },
    });
    expect((await call('GET', '/v4/webhook-subscriptions')).body).toEqual({ subscriptions: [], next_cursor: null });
  });

  it.each(['123', 'sub_short', 'sub_has-dash00', `sub_${'a'.repeat(41)}`, 'SUB_abcdefgh'])('refuses the id %s with 400', async (id) => {
    const { call, outbound } = await setup();
    for (const [method, path] of [
      ['GET', `/v4/webhook-subscriptions/${id}`],
      ['DELETE', `/v4/webhook-subscriptions/${id}`],
      ['POST', `/v4/webhook-subscriptions/${id}/test`],
      ['GET', `/v4/webhook-subscriptions/${id}/deliveries`],
    ] as const) {
      expect(await call(method, path)).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    }
    expect(outbound.calls).toEqual([]);
  });

  it('answers 404 for a well-formed unknown id on every subscription route', async () => {
    const { call } = await setup();
    const id = 'sub_unknown00000';
    for (const [method, path, body] of [
      ['GET', `/v4/webhook-subscriptions/${id}`],
      ['DELETE', `/v4/webhook-subscriptions/${id}`],
      ['POST', `/v4/webhook-subscriptions/${id}/test`],
      ['GET', `/v4/webhook-subscriptions/${id}/deliveries`],
      ['GET', `/v4/webhook-subscriptions/${id}/deliveries/dlv_1`],
      ['POST', `/v4/webhook-subscriptions/${id}/deliveries/dlv_1/redeliver`],
      ['POST', `/v4/webhook-subscriptions/${id}/redeliver`, { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }],
    ] as const) {
      expect({ method, path, ...(await call(method, path, body)) }).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    }
  });
});

describe('POST /v4/webhook-subscriptions/{id}/test', () => {
  it('reports how the endpoint answered, success or not', async () => {
    const { call, subscribe, outbound } = await setup();
    const { id } = await subscribe();
    expect(await call('POST', `/v4/webhook-subscriptions/${id}/test`)).toEqual({
      status: 200,
      headers: undefined,
      body: { ok: true, statusCode: 200, latencyMs: 12, errorClass: null, responseSnippet: null },
    });
    outbound.testResult = { ok: false, latencyMs: 5000, errorClass: 'timeout' };
    expect((await call('POST', `/v4/webhook-subscriptions/${id}/test`)).body).toEqual({
      ok: false,
      statusCode: null,
      latencyMs: 5000,
      errorClass: 'timeout',
      responseSnippet: null,
    });
  });
});

describe('deliveries and redelivery', () => {
  async function withDeliveries() {
    const context = await setup();
    const { id } = await context.subscribe();
    const failed = context.outbound.addDelivery(id, {
      eventType: 'webhook_received',
      status: 'failed',
      createdAt: '2026-11-20T10:00:00.000Z',
      attempts: [{ number: 1, at: '2026-11-20T10:00:00.000Z', statusCode: 500, latencyMs: 30, ok: false, errorClass: 'http_status', responseSnippet: 'boom' }],
    });
    const ok = context.outbound.addDelivery(id, {
      eventType: 'webhook_received',
      status: 'succeeded',
      createdAt: '2026-11-20T11:00:00.000Z',
      attempts: [{ number: 1, at: '2026-11-20T11:00:00.000Z', statusCode: 204, latencyMs: 8, ok: true }],
    });
    const old = context.outbound.addDelivery(id, { eventType: 'batch_landed', status: 'failed', createdAt: '2026-11-01T00:00:00.000Z' });
    return { ...context, id, failed, ok, old };
  }

  it('lists with filters and passes them on', async () => {
    const { call, id, failed, ok, old, outbound } = await withDeliveries();
    const all = await call('GET', `/v4/webhook-subscriptions/${id}/deliveries`);
    expect(all.status).toBe(200);
    expect(all.body.deliveries.map((d: { id: string }) => d.id)).toEqual([ok.id, failed.id, old.id]);
    expect(all.body.deliveries[1]).toEqual({
      id: failed.id,
      subscriptionId: id,
      eventId: failed.eventId,
      eventType: 'webhook_received',
      webhookId: failed.webhookId,
      status: 'failed',
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:00.000Z',
      nextAttemptAt: null,
      attempts: [{ number: 1, at: '2026-11-20T10:00:00.000Z', statusCode: 500, latencyMs: 30, ok: false, errorClass: 'http_status', responseSnippet: 'boom' }],
    });
    expect(all.body.deliveries[0].attempts[0]).toMatchObject({ errorClass: null, responseSnippet: null });

    const filtered = await call(
      'GET',
      `/v4/webhook-subscriptions/${id}/deliveries?status=failed&from=2026-11-20T00:00:00%2B02:00&to=2026-11-21T00:00:00Z&limit=10`,
    );
    expect(filtered.body.deliveries.map((d: { id: string }) => d.id)).toEqual([failed.id]);
    expect(outbound.calls.filter((c) => c.method === 'listDeliveries').map((c) => c.args[1])).toEqual([
      { status: undefined, from: undefined, to: undefined, limit: 100 },
      { status: 'failed', from: '2026-11-19T22:00:00.000Z', to: '2026-11-21T00:00:00.000Z', limit: 10 },
    ]);
  });

  it.each([
    ['status=broken', /status: must be pending, succeeded or failed/],
    ['from=yesterday', /from: must be an ISO 8601 time/],
    ['from=2026-11-20T10:00:00', /from: must be an ISO 8601 time with a zone/],
    ['to=2026-02-30T00:00:00Z', /to: is not a valid time/],
    ['from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z', /from must not be after to/],
    ['limit=0', /limit/],
    ['limit=1001', /limit/],
    ['limit=ten', /limit/],
    ['color=red', /unknown parameter "color"/],
  ])('refuses the query %s', async (query, message) => {
    const { call, id } = await withDeliveries();
    const response = await call('GET', `/v4/webhook-subscriptions/${id}/deliveries?${query}`);
    expect(response).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(response.body.message).toMatch(message);
  });

  it('gets one delivery, 404 for another subscription\'s', async () => {
    const { call, id, failed, subscribe } = await withDeliveries();
    expect(await call('GET', `/v4/webhook-subscriptions/${id}/deliveries/${failed.id}`)).toMatchObject({
      status: 200,
      body: { id: failed.id, status: 'failed' },
    });
    const other = await subscribe();
    expect(await call('GET', `/v4/webhook-subscriptions/${other.id}/deliveries/${failed.id}`)).toMatchObject({
      status: 404,
      body: { error: 'NOT_FOUND' },
    });
    expect(await call('GET', `/v4/webhook-subscriptions/${id}/deliveries/bad%20id`)).toMatchObject({
      status: 400,
      body: { error: 'INVALID_REQUEST' },
    });
  });

  it('redelivers one delivery with 202', async () => {
    const { call, id, failed } = await withDeliveries();
    const response = await call('POST', `/v4/webhook-subscriptions/${id}/deliveries/${failed.id}/redeliver`);
    expect(response).toMatchObject({ status: 202, body: { id: failed.id, status: 'pending', webhookId: failed.webhookId } });
  });

  it('redelivers the failed deliveries of a range with 202 {queued}', async () => {
    const { call, id, outbound } = await withDeliveries();
    const response = await call('POST', `/v4/webhook-subscriptions/${id}/redeliver`, {
      from: '2026-11-20T00:00:00Z',
      to: '2026-11-20T23:59:59.999Z',
    });
    expect(response).toEqual({ status: 202, headers: undefined, body: { queued: 1 } });
    expect(outbound.calls.find((c) => c.method === 'redeliverFailed')?.args).toEqual([
      id,
      { from: '2026-11-20T00:00:00.000Z', to: '2026-11-20T23:59:59.999Z' },
    ]);
    for (const body of [{}, { from: '2026-11-20T00:00:00Z' }, { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }, { from: 1, to: 2 }]) {
      expect(await call('POST', `/v4/webhook-subscriptions/${id}/redeliver`, body)).toMatchObject({
        status: 400,
        body: { error: 'INVALID_REQUEST' },
      });
    }
  });
});

describe('engine errors', () => {
  it.each([
    ['NOT_FOUND', 404],
    ['INVALID_TARGET', 400],
    ['INVALID_EVENT_TYPE', 400],
    ['PAYLOAD_TOO_LARGE', 413],
    ['CONFLICT', 409],
  ] as const)('maps SubscriptionError %s to %i with the same code', async (code, status) => {
    const { call, outbound } = await setup();
    outbound.failNext('publishEvent', new SubscriptionError(code, `engine says ${code}`));
    expect(await call('POST', '/v4/events', { type: 'x', data: 1 })).toEqual({
      status,
      headers: undefined,
      body: { error: code, message: `engine says ${code}` },
    });
  });

  it('hides other failures behind INTERNAL and logs them', async () => {
    const { call, outbound, errors } = await setup();
    outbound.failNext('listSubscriptions', new Error('ResourceNotFoundException: table gone'));
    expect(await call('GET', '/v4/webhook-subscriptions')).toMatchObject({ status: 500, body: { error: 'INTERNAL', message: 'internal error' } });
    expect(JSON.stringify(errors)).toContain('table gone');
  });

  it('requires the admin credential on every outbound route', async () => {
    const { call } = await setup();
    for (const [method, path] of [
      ['GET', '/v4/webhook-subscriptions'],
      ['POST', '/v4/webhook-subscriptions'],
      ['GET', '/v4/events'],
      ['POST', '/v4/events'],
    ]) {
      expect(await call(method!, path!, {}, null)).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
    }
  });

  it('answers 405 with Allow on known paths', async () => {
    const { call } = await setup();
    const response = await call('PUT', '/v4/webhook-subscriptions/sub_abcdefgh');
    expect(response).toMatchObject({ status: 405, headers: { allow: 'GET, PATCH, DELETE' } });
    expect((await call('DELETE', '/v4/events')).headers).toEqual({ allow: 'GET, POST' });
  });
});
