// The captured request (method, headers with credentials redacted, query data parameters) through
// the local stack: real HTTP into the gateway, fauxqs, the processor, Parquet, DuckDB as
// `hooklake query` runs it, and the quarantine for rejected requests.
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ authCacheTtlSeconds: 0 });
});
afterAll(async () => {
  await stack?.dispose();
});

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
        'x-hub-signature-256': SENT_HEADERS['X-Hub-Signature-256'],
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
    const line = await eventually(async () => {
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
    expect(line.found).toMatchObject({
      reason: 'wrong_token',
      method: 'POST',
      query: { source: 'github' },
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': SENT_HEADERS['X-Hub-Signature-256'], authorization: '[redacted]', cookie: '[redacted]' },
    });
    expect(line.text).not.toContain('SECRET');
  });
});
