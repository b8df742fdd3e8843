// receiver → SQS → processor → S3 Parquet → DuckDB, through the local stack and the emulators,
// through either front door (hooklake:frontDoor): the gateway's `/` route, or the receiver's
// function URL (infra/local/function-url.ts), which builds function URL events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRONT_DOORS } from '../../infra/front-door.ts';
import { MAX_BODY_BYTES } from '../../shared/domain/ingest/event-limits.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';

describe.each(FRONT_DOORS)('front door %s', (frontDoor) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ authCacheTtlSeconds: 0, frontDoor });
  });
  afterAll(async () => stack?.dispose());

  // Every row stored, not the deduplicated view: a request stored twice must show.
  const countIn = async (pipelineId: number) =>
    Number((await stack.query(`select count(*) as n from webhooks_raw where pipeline_id = ${pipelineId}`))[0]!.n);

  describe('inbound webhooks land in the lake', () => {
    it('JSON, form and GET requests are stored once each, with their ids, timestamps and exact bodies', async () => {
      const pipelineId = await stack.createPipeline('shop');
      const { key, token } = await stack.createToken();
      const url = stack.webhookUrl(pipelineId, key, token);
      const jsonBodies = ['{"order":1}', '{ "spaced" : [1, 2.50, "é✓", null] }\n', '[{"nested":{"deep":"\\"quoted\\""}}]', '"just a string"'];
      const sent: { id: string; ts: number; body: string }[] = [];
      for (const body of jsonBodies) {
        const reply = await postJson(url, body);
        expect(reply.status).toBe(200);
        sent.push({ id: reply.body.data.__kdd_request_id, ts: reply.body.data.__kdd_request_unix_timestamp, body });
      }
      const form = await postJson(url, 'leads[status][0][id]=25399013&leads[status][0][status_id]=142', 'application/x-www-form-urlencoded');
      sent.push({ id: form.body.data.__kdd_request_id, ts: form.body.data.__kdd_request_unix_timestamp, body: '{"leads":{"status":[{"id":"25399013","status_id":"142"}]}}' });
      const get = await fetch(`${url}&type=add&mobile=61438333061&email=brad%40example.com`);
      const getReply = (await get.json()) as { data: { __kdd_request_id: string; __kdd_request_unix_timestamp: number } };
      sent.push({ id: getReply.data.__kdd_request_id, ts: getReply.data.__kdd_request_unix_timestamp, body: '{"type":"add","mobile":"61438333061","email":"brad@example.com"}' });

      await eventually(async () => ((await countIn(pipelineId)) === sent.length ? true : undefined), 20_000, 'rows to land');
      const rows = await stack.query(
        `select pipeline_id, cast(dt as varchar) as dt, __kdd_request_id, __kdd_request_unix_timestamp, __kdd_requester_key, __kdd_request_body
         from webhooks_raw where pipeline_id = ${pipelineId} order by __kdd_request_unix_timestamp`,
      );
      expect(rows).toEqual(
        sent.map((s) => ({
          pipeline_id: pipelineId,
          dt: new Date(s.ts * 1000).toISOString().slice(0, 10),
          __kdd_request_id: s.id,
          __kdd_request_unix_timestamp: s.ts,
          __kdd_requester_key: key,
          __kdd_request_body: s.body,
        })),
      );
    });

    it('bad key, wrong token, revoked token and out-of-scope pipeline are discarded but counted', async () => {
      const pipelineId = await stack.createPipeline('guarded');
      const other = await stack.createPipeline('other');
      const good = await stack.createToken([pipelineId]);
      const revoked = await stack.createToken();
      const scopedElsewhere = await stack.createToken([other]);
      expect((await stack.admin('DELETE', `/v4/tokens/${revoked.key}`)).status).toBe(200);

      const attempts = [
        stack.webhookUrl(pipelineId, '00000000-0000-4000-8000-000000000000', good.token),
        stack.webhookUrl(pipelineId, good.key, 'WrongToken123'),
        stack.webhookUrl(pipelineId, revoked.key, revoked.token),
        stack.webhookUrl(pipelineId, scopedElsewhere.key, scopedElsewhere.token),
      ];
      for (const url of attempts) {
        // Kondado semantics: the sender is told success; the data is dropped later.
        expect((await postJson(url, '{"should":"not land"}')).status).toBe(200);
      }
      const landed = await postJson(stack.webhookUrl(pipelineId, good.key, good.token), '{"should":"land"}');
      expect(landed.status).toBe(200);

      const rejected = await eventually(async () => {
        const { body } = await stack.admin<{ rejected: { total: number; by_reason: Record<string, number> } }>('GET', `/v4/pipelines/${pipelineId}`);
        return body.rejected.total === 4 ? body.rejected : undefined;
      }, 20_000, 'rejections to be counted');
      expect(rejected.by_reason).toMatchObject({ unknown_key: 1, wrong_token: 1, revoked_token: 1, pipeline_not_allowed: 1 });

      await eventually(async () => ((await countIn(pipelineId)) === 1 ? true : undefined), 20_000, 'the valid row');
      const bodies = await stack.query(`select __kdd_request_body as b from webhooks_raw where pipeline_id = ${pipelineId}`);
      expect(bodies).toEqual([{ b: '{"should":"land"}' }]);
    });

    it('a 900 KB body and a 3 MB body (claim check through S3) both land intact, once each', async () => {
      const pipelineId = await stack.createPipeline('big');
      const { key, token } = await stack.createToken();
      const url = stack.webhookUrl(pipelineId, key, token);
      // Quotes and non-ASCII grow when escaped into the SQS message: the size check must count that.
      const body900k = JSON.stringify({ blob: 'ab"cé'.repeat(180_000) });
      const body3m = JSON.stringify({ rows: Array.from({ length: 30_000 }, (_, i) => ({ i, text: 'x'.repeat(80) })) });
      expect(Buffer.byteLength(body900k)).toBeGreaterThan(900_000);
      expect(Buffer.byteLength(body3m)).toBeGreaterThan(3_000_000);
      const ids = [];
      for (const body of [body900k, body3m]) {
        const reply = await postJson(url, body);
        expect(reply.status).toBe(200);
        ids.push(reply.body.data.__kdd_request_id);
      }
      await eventually(async () => ((await countIn(pipelineId)) === 2 ? true : undefined), 30_000, 'large bodies');
      const rows = await stack.query(
        `select __kdd_request_id as id, __kdd_request_body as body from webhooks_raw where pipeline_id = ${pipelineId}`,
      );
      expect(rows).toHaveLength(2);
      const byId = new Map(rows.map((row) => [row.id, row.body]));
      expect(byId.get(ids[0]) === body900k).toBe(true);
      expect(byId.get(ids[1]) === body3m).toBe(true);
    });
  });

  describe("Kondado's replies, exactly", () => {
    const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
    const valid = `pipeline_id=1&key=${KEY}&token=Abc123`;
    const send = async (method: string, query: string, body?: string | Buffer, contentType = 'application/json') => {
      const response = await fetch(`${stack.info.inboundUrl}/${query === '' ? '' : `?${query}`}`, {
        method,
        ...(body === undefined ? {} : { body, headers: { 'content-type': contentType } }),
      });
      return [response.status, await response.text()];
    };
    const error = (code: string) => JSON.stringify({ success: false, error: code });

    it.each([
      ['no parameters', 'POST', '', '{}', 'NO_PARAMETERS_PROVIDED'],
      ['no token', 'POST', `pipeline_id=1&key=${KEY}`, '{}', 'MISSING_PARAMETER: token'],
      ['a key that is no UUID', 'POST', 'pipeline_id=1&key=nope&token=Abc123', '{}', 'INVALID_PARAMETER: key'],
      ['a pipeline_id repeated differently', 'POST', `pipeline_id=1&pipeline_id=2&key=${KEY}&token=Abc123`, '{}', 'INVALID_PARAMETER: pipeline_id'],
      ['PUT', 'PUT', valid, '{}', 'METHOD_NOT_ALLOWED'],
      ['an empty POST', 'POST', valid, undefined, 'NO_BODY_PROVIDED'],
      ['a GET without data', 'GET', valid, undefined, 'NO_BODY_PROVIDED'],
      ['a body that is not JSON', 'POST', valid, '{oops', 'INVALID_BODY'],
      ['a conflicting form', 'POST', valid, 'a=1&a[b]=2', 'INVALID_BODY', 'application/x-www-form-urlencoded'],
    ])('%s: 400 with its code', async (_what, method, query, body, code, contentType?: string) => {
      expect(await send(method, query, body, contentType)).toEqual([400, error(code)]);
    });

    it(`a body over its encoding's limit (${MAX_BODY_BYTES.text} bytes as text, ${MAX_BODY_BYTES.base64} base64-encoded) is PAYLOAD_TOO_LARGE`, async () => {
      const json = (bytes: number) => `{"a":"${'x'.repeat(bytes - 8)}"}`;
      expect(await send('POST', valid, json(MAX_BODY_BYTES.text + 1))).toEqual([400, error('PAYLOAD_TOO_LARGE')]);
      // Sent as an octet stream, both front doors hand the body over base64-encoded: the larger limit.
      expect((await send('POST', valid, json(MAX_BODY_BYTES.text + 1), 'application/octet-stream'))[0]).toBe(200);
      expect(await send('POST', valid, json(MAX_BODY_BYTES.base64 + 1), 'application/octet-stream')).toEqual([400, error('PAYLOAD_TOO_LARGE')]);
    });

    it('a path other than the root is not the inbound URL (404), and the management API is at apiUrl', async () => {
      const response = await fetch(`${stack.info.inboundUrl}/hooks?${valid}`, { method: 'POST', body: '{}' });
      expect([response.status, await response.text()]).toEqual([404, '{"message":"Not Found"}']);
      expect((await stack.admin('GET', '/v4/pipelines')).status).toBe(200);
    });
  });
});
