// What a signature covers, through the local stack: real HTTP into the gateway, the receiver,
// fauxqs, the processor with secrets encrypted by the API, the lake, the quarantine, the DynamoDB
// counters behind `hooklake pipelines get` and the console's chart, and the webhook_rejected
// summary event.
// - A GET carries its data in the query string, which no signature covers: a verifying pipeline
//   quarantines it as unsigned_request, however it is signed.
// - The body is verified as sent: the local gateway passes a leading byte order mark on, as API
//   Gateway does, so the local stack accepts and refuses what AWS accepts and refuses.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-harness.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

const SUMMARY_SECONDS = 1;

let stack: TestStack;
let receiver: Receiver;
let cliDir: string;
beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startTestStack({ authCacheTtlSeconds: 0, rejectionSummarySeconds: SUMMARY_SECONDS, subscriptionCacheSeconds: 0 });
  cliDir = mkdtempSync(join(tmpdir(), 'hooklake-coverage-cli-'));
});
afterAll(async () => {
  await stack?.dispose();
  await receiver?.close();
  if (cliDir) rmSync(cliDir, { recursive: true, force: true });
});

const hmacHex = (algorithm: string, secret: string, bytes: string | Buffer) => createHmac(algorithm, secret).update(bytes).digest('hex');
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function verify(pipelineId: number, body: Record<string, unknown>): Promise<void> {
  expect((await stack.admin('PUT', `/v4/pipelines/${pipelineId}/verification`, body)).status).toBe(200);
}

async function accepted(response: Response): Promise<string> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { __kdd_request_id: string } }).data.__kdd_request_id;
}

async function quarantineLines(pipelineId: number): Promise<Record<string, unknown>[]> {
  const bucket = stack.info.resources.lakeBucket;
  const { Contents = [] } = await stack.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `quarantine/pipeline_id=${pipelineId}/` }));
  const lines: Record<string, unknown>[] = [];
  for (const object of Contents) {
    const text = await (await stack.s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }))).Body!.transformToString();
    lines.push(...text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
  }
  return lines;
}

const landedIds = async (pipelineId: number) =>
  (await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId}`)).map((row) => row.id);

describe('a GET to a verifying pipeline', () => {
  it('is quarantined as unsigned_request, even with a valid signature of the empty body, and counted everywhere rejections are', async () => {
    const github = await stack.createPipeline('coverage-github');
    const generic = await stack.createPipeline('coverage-hmac');
    const open = await stack.createPipeline('coverage-open');
    const { key, token } = await stack.createToken();
    await verify(github, { provider: 'github', secrets: ['gh-coverage'] });
    await verify(generic, { provider: 'hmac', secrets: ['generic-coverage'], header: 'X-Signature', algorithm: 'sha256', encoding: 'hex' });
    const subscription = await stack.admin('POST', '/v4/webhook-subscriptions', { webhookUrl: `${receiver.url}/rejected`, events: ['webhook_rejected'] });
    expect(subscription.status).toBe(201);

    const query = '&order_id=999&status=refunded';
    // The reproduction: one HMAC of the empty string, the same forever, on any GET.
    const forged = await accepted(
      await fetch(stack.webhookUrl(github, key, token, query), { headers: { 'X-Hub-Signature-256': `sha256=${hmacHex('sha256', 'gh-coverage', '')}` } }),
    );
    const genericForged = await accepted(
      await fetch(stack.webhookUrl(generic, key, token, query), { headers: { 'X-Signature': hmacHex('sha256', 'generic-coverage', '') } }),
    );
    const landed = await accepted(await fetch(stack.webhookUrl(open, key, token, query)));
    // A signed POST still lands on the same pipeline.
    const body = '{"order_id":1}';
    const signedPost = await accepted(
      await fetch(stack.webhookUrl(github, key, token), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Hub-Signature-256': `sha256=${hmacHex('sha256', 'gh-coverage', body)}` },
        body,
      }),
    );

    await eventually(async () => ((await landedIds(open)).length === 1 && (await landedIds(github)).length === 1 ? true : undefined), 20_000, 'the landed rows');
    expect(await landedIds(open)).toEqual([landed]);
    expect(await landedIds(github)).toEqual([signedPost]);
    expect(await landedIds(generic)).toEqual([]);
    for (const [pipelineId, id] of [
      [github, forged],
      [generic, genericForged],
    ] as const) {
      const lines = await eventually(async () => {
        const found = await quarantineLines(pipelineId);
        return found.length > 0 ? found : undefined;
      }, 20_000, 'the quarantine line');
      expect(lines).toMatchObject([{ id, reason: 'unsigned_request', method: 'GET', query: { order_id: '999', status: 'refunded' } }]);
    }

    // The DynamoDB counters, as the API, the CLI and the console's chart read them.
    const { body: detail } = await stack.admin<{ rejected: { total: number; by_reason: Record<string, number> } }>('GET', `/v4/pipelines/${github}`);
    expect(detail.rejected).toMatchObject({ total: 1, by_reason: { unsigned_request: 1, bad_signature: 0 } });
    const cli = await runCli(['pipelines', 'get', String(github), '--api', stack.info.apiUrl, '--admin-token', stack.info.adminToken], { cwd: cliDir });
    expect(cli.stdout).toMatch(/rejected \(7d\)\s+1 \(unsigned_request 1\)/);
    const { body: stats } = await stack.admin<{ days: { rejected: number; rejected_by_reason: Record<string, number> }[] }>('GET', `/v4/pipelines/${generic}/stats`);
    expect(stats.days.at(-1)).toMatchObject({ rejected: 1, rejected_by_reason: { unsigned_request: 1 } });

    // The webhook_rejected summaries of both verifying pipelines.
    type Summary = { type: string; data: { pipelineId: number; total: number; byReason: Record<string, number>; sampleRequestIds: string[] } };
    const summaries = await eventually(
      async () => {
        const delivered = receiver.at('/rejected').map((request) => JSON.parse(request.body) as Summary);
        return delivered.length >= 2 ? delivered : undefined;
      },
      30_000,
      'the webhook_rejected summaries',
    );
    expect(summaries.map((event) => [event.type, event.data.pipelineId, event.data.byReason, event.data.sampleRequestIds]).sort()).toEqual(
      [
        ['webhook_rejected', github, { unsigned_request: 1 }, [forged]],
        ['webhook_rejected', generic, { unsigned_request: 1 }, [genericForged]],
      ].sort(),
    );
  }, 60_000);
});

describe('the body is verified as sent', () => {
  it('a JSON body with a leading byte order mark is refused (INVALID_BODY) as on AWS; a form with one verifies over its bytes and lands', async () => {
    const pipelineId = await stack.createPipeline('coverage-bom');
    const { key, token } = await stack.createToken();
    await verify(pipelineId, { provider: 'hmac', secrets: ['bom-secret'], header: 'X-Signature', algorithm: 'sha256', encoding: 'hex' });
    const url = stack.webhookUrl(pipelineId, key, token);
    const post = (bytes: Buffer, contentType: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': contentType, 'X-Signature': hmacHex('sha256', 'bom-secret', bytes) }, body: new Uint8Array(bytes) });

    // The receiver keeps the mark, as API Gateway hands it over, and a mark is not JSON.
    const json = await post(Buffer.concat([BOM, Buffer.from('{"a":1}')]), 'application/json');
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ success: false, error: 'INVALID_BODY' });

    // A form is stored decoded (the mark is part of its first name) and verified over the bytes the sender signed.
    const form = Buffer.concat([BOM, Buffer.from('a=1&b=caf%C3%A9')]);
    const id = await accepted(await post(form, 'application/x-www-form-urlencoded'));
    const rows = await eventually(async () => {
      const found = await stack.query(`select __kdd_request_id as id, __kdd_request_body as body from webhooks where pipeline_id = ${pipelineId}`);
      return found.length === 1 ? found : undefined;
    }, 20_000, 'the form row');
    expect(rows).toEqual([{ id, body: JSON.stringify({ '\uFEFFa': '1', b: 'café' }) }]);
    expect(await quarantineLines(pipelineId)).toEqual([]);
  }, 60_000);
});
