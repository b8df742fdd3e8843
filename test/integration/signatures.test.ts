// Inbound signature verification through the local stack: real HTTP into the gateway,
// the receiver, fauxqs, the processor with verification secrets encrypted by the API, Parquet,
// DuckDB as `hooklake query` runs it, and the quarantine and counters for refused requests.
// Requests are signed by the providers' own libraries or recipes (test/support/provider-signers.ts).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimKey } from '../../shared/domain/ingest/message.ts';
import type { SignatureProvider } from '../../shared/domain/ingest/signatures/settings.ts';
import { runCli } from '../support/cli-harness.ts';
import { signedHeaders, STANDARD_WEBHOOKS_SECRET, STANDARD_WEBHOOKS_SECRET_2, type SignOptions } from '../support/provider-signers.ts';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
let cliDir: string;
beforeAll(async () => {
  // No credential cache: a verification set takes effect for the next batch.
  stack = await startTestStack({ authCacheTtlSeconds: 0 });
  cliDir = mkdtempSync(join(tmpdir(), 'hooklake-sig-cli-'));
});
afterAll(async () => {
  await stack?.dispose();
  if (cliDir) rmSync(cliDir, { recursive: true, force: true });
});

const HMAC_SPEC = { header: 'X-Signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' } as const;

interface Provider {
  provider: SignatureProvider;
  secrets: [string, string];
  body: string;
  contentType: string;
  timed: boolean;
  signatureHeader: string;
  extra?: Record<string, string>;
}

const PROVIDERS: Provider[] = [
  { provider: 'github', secrets: ['gh-old', 'gh-new'], body: '{"action":"opened","number":7}', contentType: 'application/json', timed: false, signatureHeader: 'X-Hub-Signature-256' },
  { provider: 'stripe', secrets: ['whsec_stripe_old', 'whsec_stripe_new'], body: '{\n  "id": "evt_1Q", "object": "event",\n  "type": "charge.succeeded"\n}', contentType: 'application/json', timed: true, signatureHeader: 'Stripe-Signature' },
  { provider: 'shopify', secrets: ['shpss_old', 'shpss_new'], body: '{"id":820982911946154500,"email":"jon@example.com"}', contentType: 'application/json', timed: false, signatureHeader: 'X-Shopify-Hmac-Sha256' },
  {
    provider: 'slack',
    secrets: ['slack-old', 'slack-new'],
    body: 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&command=%2Fweather&text=94070+caf%C3%A9',
    contentType: 'application/x-www-form-urlencoded',
    timed: true,
    signatureHeader: 'X-Slack-Signature',
  },
  { provider: 'standard-webhooks', secrets: [STANDARD_WEBHOOKS_SECRET, STANDARD_WEBHOOKS_SECRET_2], body: '{"type":"user.created","data":{"id":"u_1"}}', contentType: 'application/json', timed: true, signatureHeader: 'webhook-signature' },
  { provider: 'hmac', secrets: ['generic-old', 'generic-new'], body: '{"event":"x"}', contentType: 'application/json', timed: false, signatureHeader: HMAC_SPEC.header },
];

async function setVerification(pipelineId: number, p: Provider, secrets: string[]) {
  const body = { provider: p.provider, secrets, ...(p.provider === 'hmac' ? HMAC_SPEC : {}) };
  const { status, body: answer } = await stack.admin('PUT', `/v4/pipelines/${pipelineId}/verification`, body);
  expect(status).toBe(200);
  return answer;
}

async function send(url: string, body: string, contentType: string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
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

describe.each(PROVIDERS)('$provider', (p) => {
  it('a signed request lands; one byte changed, a wrong secret, a missing header, a stale timestamp are quarantined and counted with their reason; both rotation secrets verify', async () => {
    const pipelineId = await stack.createPipeline(`sig-${p.provider}`);
    const { key, token } = await stack.createToken();
    const url = stack.webhookUrl(pipelineId, key, token);
    const answer = await setVerification(pipelineId, p, [p.secrets[0]]);
    expect(answer).toEqual({ pipeline_id: pipelineId, verification: { provider: p.provider, ...(p.provider === 'hmac' ? { header: 'x-signature', algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' } : {}), secrets: 1 } });
    expect(JSON.stringify(answer)).not.toContain(p.secrets[0]);

    const sign = (body: string, options: Partial<SignOptions> = {}) => signedHeaders(p.provider, body, { secret: p.secrets[0], hmac: HMAC_SPEC, ...options });
    const good = await send(url, p.body, p.contentType, await sign(p.body));
    const tampered = await send(url, p.body.replace('e', 'f'), p.contentType, await sign(p.body));
    const wrongSecret = await send(url, p.body, p.contentType, await sign(p.body, { secret: p.secrets[1] }));
    const headersWithout = Object.fromEntries(Object.entries(await sign(p.body)).filter(([name]) => name.toLowerCase() !== p.signatureHeader.toLowerCase()));
    const missing = await send(url, p.body, p.contentType, headersWithout);
    const stale = p.timed ? await send(url, p.body, p.contentType, await sign(p.body, { timestampSeconds: Math.floor(Date.now() / 1000) - 600 })) : undefined;

    const expected = new Map<string, string>([
      [tampered, 'bad_signature'],
      [wrongSecret, 'bad_signature'],
      [missing, 'missing_signature'],
      ...(stale === undefined ? [] : [[stale, 'stale_timestamp'] as [string, string]]),
    ]);
    const lines = await eventually(async () => {
      const found = await quarantineLines(pipelineId);
      return found.length === expected.size ? found : undefined;
    }, 20_000, 'the quarantine lines');
    expect(new Map(lines.map((line) => [line.id as string, line.reason as string]))).toEqual(expected);
    const landed = await eventually(async () => {
      const rows = await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId}`);
      return rows.length === 1 ? rows : undefined;
    }, 20_000, 'the landed row');
    expect(landed).toEqual([{ id: good }]);

    const { body: detail } = await stack.admin<{ rejected: { by_reason: Record<string, number> }; verification: unknown }>('GET', `/v4/pipelines/${pipelineId}`);
    expect(detail.rejected.by_reason).toMatchObject({ bad_signature: 2, missing_signature: 1, stale_timestamp: p.timed ? 1 : 0 });

    // Rotation: both secrets active, a request signed with either lands.
    await setVerification(pipelineId, p, [p.secrets[0], p.secrets[1]]);
    const oldOne = await send(url, p.body, p.contentType, await sign(p.body));
    const newOne = await send(url, p.body, p.contentType, await sign(p.body, { secret: p.secrets[1] }));
    const rotated = await eventually(async () => {
      const rows = await stack.query(`select __kdd_request_id as id from webhooks where pipeline_id = ${pipelineId}`);
      return rows.length === 3 ? rows : undefined;
    }, 20_000, 'the rotated rows');
    expect(rotated.map((row) => row.id)).toEqual(expect.arrayContaining([good, oldOne, newOne]));
  });
});

describe('what lands and how to count it', () => {
  it('a Slack form post verifies over its raw bytes, and the lake stores the decoded form', async () => {
    const pipelineId = await stack.createPipeline('sig-slack-form');
    const { key, token } = await stack.createToken();
    await setVerification(pipelineId, PROVIDERS.find((p) => p.provider === 'slack')!, ['slack-form-secret']);
    const form = 'payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B%22id%22%3A%22U1%22%7D%7D&extra=a+b%21';
    const id = await send(stack.webhookUrl(pipelineId, key, token), form, 'application/x-www-form-urlencoded', await signedHeaders('slack', form, { secret: 'slack-form-secret' }));
    const rows = await eventually(async () => {
      const found = await stack.query(`select __kdd_request_id as id, __kdd_request_body as body from webhooks where pipeline_id = ${pipelineId}`);
      return found.length === 1 ? found : undefined;
    }, 20_000, 'the form row');
    expect(rows).toEqual([{ id, body: '{"payload":"{\\"type\\":\\"block_actions\\",\\"user\\":{\\"id\\":\\"U1\\"}}","extra":"a b!"}' }]);
  });

  it('a signed 1.5 MB body goes through the claim check and still verifies byte for byte', async () => {
    const pipelineId = await stack.createPipeline('sig-large');
    const { key, token } = await stack.createToken();
    await setVerification(pipelineId, PROVIDERS[0]!, ['gh-large']);
    const body = JSON.stringify({ blob: 'é \u2028 😀 '.repeat(150_000) });
    const sent = Buffer.from(body, 'utf8');
    expect(sent.length).toBeGreaterThan(1_000_000);
    const response = await fetch(stack.webhookUrl(pipelineId, key, token), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await signedHeaders('github', body, { secret: 'gh-large' })) },
      body: sent,
    });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: { __kdd_request_id: string; __kdd_request_unix_timestamp: number } };
    const id = data.__kdd_request_id;
    // Over the queue's limit: the receiver parked the body in the lake bucket.
    await stack.s3.send(new HeadObjectCommand({ Bucket: stack.info.resources.lakeBucket, Key: claimKey(id, data.__kdd_request_unix_timestamp) }));
    const rows = await eventually(async () => {
      const found = await stack.query(`select __kdd_request_id as id, __kdd_request_body as body from webhooks where pipeline_id = ${pipelineId}`);
      return found.length === 1 ? found : undefined;
    }, 30_000, 'the large row');
    expect(rows[0]!.id).toBe(id);
    const landed = Buffer.from(rows[0]!.body as string, 'utf8');
    // Compared as bytes (a digest keeps a failure's message short), after the signature was checked over them.
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect({ bytes: landed.length, sha256: digest(landed) }).toEqual({ bytes: sent.length, sha256: digest(sent) });
    expect(Buffer.compare(landed, sent)).toBe(0);
  });

  it('a body that is not UTF-8 is refused at once (INVALID_BODY), so no lossy text is ever verified', async () => {
    const pipelineId = await stack.createPipeline('sig-binary');
    const { key, token } = await stack.createToken();
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const response = await fetch(stack.webhookUrl(pipelineId, key, token), { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ success: false, error: 'INVALID_BODY' });
  });

  it('a GitHub redelivery (same X-GitHub-Delivery) is two rows in webhooks_raw and one in webhooks_by_delivery', async () => {
    const pipelineId = await stack.createPipeline('sig-redelivery');
    const { key, token } = await stack.createToken();
    await setVerification(pipelineId, PROVIDERS[0]!, ['gh-redeliver']);
    const url = stack.webhookUrl(pipelineId, key, token);
    const body = '{"action":"completed"}';
    const headers = { ...(await signedHeaders('github', body, { secret: 'gh-redeliver' })), 'X-GitHub-Delivery': 'f3c1e2a0-0000-11ef-8000-000000000001' };
    const first = await send(url, body, 'application/json', headers);
    const again = await send(url, body, 'application/json', headers);
    const other = await send(url, body, 'application/json', { ...headers, 'X-GitHub-Delivery': 'f3c1e2a0-0000-11ef-8000-000000000002' });
    const raw = await eventually(async () => {
      const found = await stack.query(`select __kdd_request_id as id, __hl_provider_delivery_id as delivery from webhooks_raw where pipeline_id = ${pipelineId} order by __kdd_request_unix_timestamp`);
      return found.length === 3 ? found : undefined;
    }, 20_000, 'three raw rows');
    expect(raw).toEqual([
      { id: first, delivery: 'f3c1e2a0-0000-11ef-8000-000000000001' },
      { id: again, delivery: 'f3c1e2a0-0000-11ef-8000-000000000001' },
      { id: other, delivery: 'f3c1e2a0-0000-11ef-8000-000000000002' },
    ]);
    const deduplicated = await stack.query(`select __kdd_request_id as id from webhooks_by_delivery where pipeline_id = ${pipelineId} order by __kdd_request_unix_timestamp`);
    expect(deduplicated).toEqual([{ id: first }, { id: other }]);
  });
});

describe('the API and the CLI', () => {
  it('refuses bad settings with documented codes, 404 for an unknown pipeline, and never shows a secret', async () => {
    const pipelineId = await stack.createPipeline('sig-api');
    const put = (body: unknown, id = pipelineId) => stack.admin<{ error: string; message: string }>('PUT', `/v4/pipelines/${id}/verification`, body);
    expect(await put({ provider: 'gitlab', secrets: ['x'] })).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await put({ provider: 'github', secrets: [] })).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await put({ provider: 'github', secrets: ['a', 'b', 'c'] })).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await put({ provider: 'hmac', secrets: ['x'], header: 'X-Webhook-Token', algorithm: 'sha256', encoding: 'hex' })).toMatchObject({
      status: 400,
      body: { error: 'INVALID_REQUEST', message: expect.stringContaining('redacted') },
    });
    expect(await put({ provider: 'standard-webhooks', secrets: ['not base64!'] })).toMatchObject({ status: 400, body: { error: 'INVALID_REQUEST' } });
    expect(await put({ provider: 'github', secrets: ['x'] }, 999_999)).toMatchObject({ status: 404, body: { error: 'NOT_FOUND' } });
    expect(await stack.admin('DELETE', '/v4/pipelines/999999/verification')).toMatchObject({ status: 404 });

    const cli = (args: string[]) => runCli([...args, '--api', stack.info.apiUrl, '--admin-token', stack.info.adminToken], { cwd: cliDir });
    const set = await cli(['pipelines', 'verification', 'set', String(pipelineId), '--provider', 'hmac', '--secret', 'cli-secret-1', '--secret', 'cli-secret-2', '--header', 'X-Hook-Signature', '--algorithm', 'sha512', '--encoding', 'base64', '--prefix', 'v1=']);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain('hmac x-hook-signature sha512 base64 prefix "v1=" (2 secrets)');
    const got = await cli(['pipelines', 'get', String(pipelineId)]);
    expect(got.stdout).toMatch(/verification\s+hmac x-hook-signature sha512 base64 prefix "v1=" \(2 secrets\)/);
    const json = await cli(['pipelines', 'get', String(pipelineId), '--json']);
    expect(json.json).toMatchObject({ verification: { provider: 'hmac', header: 'x-hook-signature', algorithm: 'sha512', encoding: 'base64', prefix: 'v1=', secrets: 2 } });
    expect(`${set.stdout}${got.stdout}${json.stdout}`).not.toContain('cli-secret');
    const usage = await cli(['pipelines', 'verification', 'set', String(pipelineId), '--provider', 'gitlab', '--secret', 'x']);
    expect(usage.code).toBe(2);

    const cleared = await cli(['pipelines', 'verification', 'clear', String(pipelineId), '--json']);
    expect(cleared.json).toEqual({ pipeline_id: pipelineId, verification: null });
    expect((await cli(['pipelines', 'get', String(pipelineId)])).stdout).toMatch(/verification\s+none/);
  });
});
