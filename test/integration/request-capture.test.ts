// The captured request (method, headers with credentials redacted, query data parameters) through
// the local stack: real HTTP into the gateway, fauxqs, the processor, Parquet, DuckDB as
// `hooklake query` runs it, the quarantine for rejected requests, the console's request inspector
// route and the webhook_received event.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({ authCacheTtlSeconds: 0, subscriptionCacheSeconds: 0 });
});
afterAll(async () => {
  await stack?.dispose();
  await receiver?.close();
});

async function quarantineLine(pipelineId: number, id: string): Promise<{ found: Record<string, unknown>; text: string }> {
  return eventually(async () => {
    const { Contents = [] } = await stack.s3.send(
      new ListObjectsV2Command({ Bucket: stack.info.resources.lakeBucket, Prefix: `quarantine/pipeline_id=${pipelineId}/` }),
    );
    for (const object of Contents) {
      const text = await (await stack.s3.send(new GetObjectCommand({ Bucket: stack.info.resources.lakeBucket, Key: object.Key! }))).Body!.transformToString();
      const found = text.trim().split('\n').map((entry) => JSON.parse(entry) as Record<string, unknown>).find((entry) => entry.id === id);
      if (found !== undefined) return { found, text };
    }
    return undefined;
  }, 20_000, 'the quarantine line');
}

/** What a GitHub delivery sends, plus credentials a sender (or a proxy) might add. */
const SENT_HEADERS = {
  'X-GitHub-Event': 'push',
  'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'X-Hub-Signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  Authorization: 'Bearer ghp_SECRETauthorization',
  Cookie: 'session=SECRETcookie; theme=dark',
  'X-Api-Key': 'SECRETapikey',
};

function post(url: string, body: string, contentType: string) {
  return fetch(url, { method: 'POST', headers: { ...SENT_HEADERS, 'content-type': contentType }, body });
}

async function requestId(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { __kdd_request_id: string } }).data.__kdd_request_id;
}

describe('the captured request lands in the __hl_* columns', () => {
  it('JSON, form and GET webhooks land with their method, redacted headers and query, readable with SQL', async () => {
    const pipelineId = await stack.createPipeline('capture');
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    const json = await requestId(await post(`${url}&source=github`, '{"ref":"refs/heads/main"}', 'application/json'));
    const form = await requestId(await post(url, 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=1&note=a+b', 'application/x-www-form-urlencoded'));
    const get = await requestId(await fetch(`${url}&type=add&mobile=61438333061&tag=a&tag=b`, { headers: SENT_HEADERS }));

    const rows = await eventually(async () => {
      const found = await stack.query(
        `select __kdd_request_id as id, __kdd_request_body as body, __hl_request_method as method, __hl_request_headers as headers,
                __hl_request_query as query, json_extract_string(__hl_request_headers, '$.x-github-event') as event
         from webhooks where pipeline_id = ${pipelineId}`,
      );
      return found.length === 3 ? new Map(found.map((row) => [row.id as string, row])) : undefined;
    }, 20_000, 'three rows');

    expect(rows.get(json)).toMatchObject({ body: '{"ref":"refs/heads/main"}', method: 'POST', query: '{"source":"github"}', event: 'push' });
    expect(rows.get(form)).toMatchObject({ body: '{"leads":{"status":[{"id":"1"}]},"note":"a b"}', method: 'POST', query: '{}', event: 'push' });
    expect(rows.get(get)).toMatchObject({
      body: '{"type":"add","mobile":"61438333061","tag":["a","b"]}',
      method: 'GET',
      query: '{"type":"add","mobile":"61438333061","tag":["a","b"]}',
      event: 'push',
    });
    for (const [id, row] of rows) {
      const headers = JSON.parse(row.headers as string) as Record<string, string>;
      expect({ id, ...headers }).toMatchObject({
        id,
        'x-github-event': 'push',
        'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        // No verifier of this pipeline reads it: stored redacted, like any signature.
        'x-hub-signature-256': '[redacted]',
        authorization: '[redacted]',
        cookie: '[redacted]',
        'x-api-key': '[redacted]',
      });
      expect(row.headers).not.toContain('SECRET');
      expect(row.query).not.toContain(token);
      expect(row.query).not.toContain(key);
    }
  });

  it("a rejected request's quarantine line keeps its method, redacted headers and query", async () => {
    const pipelineId = await stack.createPipeline('capture-rejected');
    const { key } = await stack.createToken();
    const id = await requestId(await post(`${stack.webhookUrl(pipelineId, key, 'WrongToken123')}&source=github`, '{"a":1}', 'application/json'));
    const line = await quarantineLine(pipelineId, id);
    expect(line.found).toMatchObject({
      reason: 'wrong_token',
      method: 'POST',
      query: { source: 'github' },
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': '[redacted]', authorization: '[redacted]', cookie: '[redacted]' },
    });
    expect(line.text).not.toContain('SECRET');
  });
});

describe('credentials never reach the lake, the quarantine, the console or an event', () => {
  // Headers and query parameters a review found stored in clear, each with a value found nowhere else.
  const CREDENTIAL_HEADERS = {
    'X-Functions-Key': 'SECRET-functions-key',
    'Ocp-Apim-Subscription-Key': 'SECRET-apim-key',
    'X-Access-Key': 'SECRET-access-key',
    'X-Webhook-Key': 'SECRET-webhook-key',
    'X-Signing-Key': 'SECRET-signing-key',
    'X-Signature-Key': 'SECRET-signature-key',
    Bearer: 'SECRET-bearer',
    // A signature no verifier of the pipeline reads.
    'X-Signature': 'SECRET-signature',
  };
  const QUERY = '&order=7&access_token=SECRET-access-token&api_key=SECRET-api-key';
  const redactedHeaders = Object.fromEntries(Object.keys(CREDENTIAL_HEADERS).map((name) => [name.toLowerCase(), '[redacted]']));
  const redactedQuery = { order: '7', access_token: '[redacted]', api_key: '[redacted]' };

  it('the listed headers and query parameters are [redacted] in the lake columns, a GET body, the quarantine, the inspector and webhook_received', async () => {
    const pipelineId = await stack.createPipeline('capture-credentials');
    const { key, token } = await stack.createToken();
    const subscribed = await stack.admin('POST', '/v4/webhook-subscriptions', { webhookUrl: `${receiver.url}/received`, events: ['webhook_received'], pipelineId });
    expect(subscribed.status).toBe(201);
    const post = await requestId(
      await fetch(stack.webhookUrl(pipelineId, key, token, QUERY), { method: 'POST', headers: { ...CREDENTIAL_HEADERS, 'content-type': 'application/json' }, body: '{"a":1}' }),
    );
    const get = await requestId(await fetch(stack.webhookUrl(pipelineId, key, token, QUERY), { headers: CREDENTIAL_HEADERS }));
    const rejected = await requestId(
      await fetch(stack.webhookUrl(pipelineId, key, 'WrongToken123', QUERY), { method: 'POST', headers: { ...CREDENTIAL_HEADERS, 'content-type': 'application/json' }, body: '{"b":2}' }),
    );

    // The lake, as analysts and syncs read it.
    const rows = await eventually(async () => {
      const found = await stack.query(
        `select __kdd_request_id as id, __kdd_request_body as body, __hl_request_headers as headers, __hl_request_query as query from webhooks where pipeline_id = ${pipelineId}`,
      );
      return found.length === 2 ? new Map(found.map((row) => [row.id as string, row])) : undefined;
    }, 20_000, 'two rows');
    for (const id of [post, get]) {
      const row = rows.get(id)!;
      expect(JSON.parse(row.headers as string)).toMatchObject(redactedHeaders);
      expect(JSON.parse(row.query as string)).toEqual(redactedQuery);
      expect(JSON.stringify(row)).not.toContain('SECRET');
    }
    expect(JSON.parse(rows.get(get)!.body as string)).toEqual(redactedQuery);

    // The quarantine line of the refused one.
    const line = await quarantineLine(pipelineId, rejected);
    expect(line.found).toMatchObject({ reason: 'wrong_token', headers: redactedHeaders, query: redactedQuery });
    expect(line.text).not.toContain('SECRET');

    // The console's request inspector.
    for (const id of [post, get, rejected]) {
      const { status, body } = await stack.admin<Record<string, unknown>>('GET', `/v4/pipelines/${pipelineId}/requests/${id}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ id, headers: redactedHeaders, query: redactedQuery });
      expect(JSON.stringify(body)).not.toContain('SECRET');
    }
    const { body: recent } = await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests`);
    expect(JSON.stringify(recent)).not.toContain('SECRET');

    // The webhook_received events (the GET's body is its query data).
    const events = await eventually(async () => {
      const delivered = receiver.at('/received');
      return delivered.length >= 2 ? delivered : undefined;
    }, 30_000, 'the webhook_received events');
    expect(events.map((event) => (JSON.parse(event.body) as { type: string }).type)).toEqual(['webhook_received', 'webhook_received']);
    for (const event of events) expect(event.body).not.toContain('SECRET');
  }, 60_000);
});
